"""`GET /`: the outbox page, every message the sandbox received, newest first, rendered the way the
recipient would roughly see it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from connectors.sandbox.state import SandboxState, get_state

router = APIRouter(tags=["sandbox"])

State = Annotated[SandboxState, Depends(get_state)]

# Autoescape everything: message content is whatever the templates produced, and the page must show
# it, never run it. Email HTML is shown inside a sandboxed iframe through an escaped srcdoc.
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _linkable(url: str | None) -> str | None:
    # Escaping does not neutralise a `javascript:` URL in href/src; deep links (myapp://…) stay.
    if not url or url.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
        return None
    return url


_templates.filters["linkable"] = _linkable


@router.get("/", response_class=HTMLResponse)
async def outbox(state: State, to: str | None = None) -> HTMLResponse:
    wanted = to.strip() if to and to.strip() else None
    messages = list(reversed(state.messages_matching(to=wanted)))
    page = _templates.get_template("outbox.html.j2").render(
        messages=messages, to=wanted or "", total=len(state.messages)
    )
    return HTMLResponse(page)
