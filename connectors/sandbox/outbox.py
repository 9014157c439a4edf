"""`GET /`: the outbox page, every message the sandbox received and every simulated reply, rendered
the way the recipient would roughly see them: SMS as a phone thread per number (our messages and the
customer's replies), push as a notification card, email as a rendered message. Newest first: a
thread sits where its latest message puts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from connectors.sandbox.state import MessageRecord, ReplyRecord, SandboxState, get_state
from domain.notifications import Channel

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

# The page loads nothing from anywhere and runs no script; the email iframe inherits this policy.
# Images may come from anywhere, as they would in the recipient's mail client or notification tray.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _linkable(url: str | None) -> str | None:
    # Escaping does not neutralise a `javascript:` URL in href/src; deep links (myapp://…) stay.
    if not url or url.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
        return None
    return url


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


_templates.filters["linkable"] = _linkable
_templates.filters["when"] = _when


@dataclass
class Bubble:
    """One line of an SMS thread: ours (`out`, a MessageRecord) or the customer's (`in`, a reply)."""

    direction: Literal["out", "in"]
    message: MessageRecord | None = None
    reply: ReplyRecord | None = None

    @property
    def at(self) -> datetime:
        record = self.message or self.reply
        assert record is not None
        return record.received_at


@dataclass
class Entry:
    """One block of the page: an SMS thread, an email, a push notification or a non-SMS reply."""

    kind: Literal["thread", "email", "push", "reply"]
    latest: datetime
    order: int  # arrival order, to break ties between equal timestamps
    address: str
    bubbles: list[Bubble] = field(default_factory=list)
    message: MessageRecord | None = None
    reply: ReplyRecord | None = None


def outbox_entries(messages: list[MessageRecord], replies: list[ReplyRecord]) -> list[Entry]:
    """Messages and replies (both oldest first) as page entries, newest first."""
    entries: list[Entry] = []
    threads: dict[str, Entry] = {}
    arrivals = sorted(
        [(m.received_at, i, Bubble("out", message=m)) for i, m in enumerate(messages)]
        + [(r.received_at, len(messages) + i, Bubble("in", reply=r)) for i, r in enumerate(replies)],
        key=lambda item: (item[0], item[1]),
    )
    for order, (at, _, bubble) in enumerate(arrivals):
        record = bubble.message or bubble.reply
        assert record is not None
        address = record.to if isinstance(record, MessageRecord) else record.sender
        if record.channel == Channel.SMS:
            thread = threads.get(address)
            if thread is None:
                thread = threads[address] = Entry("thread", at, order, address)
                entries.append(thread)
            thread.bubbles.append(bubble)
            thread.latest, thread.order = at, order
        elif bubble.message is not None:
            kind: Literal["email", "push"] = "email" if record.channel == Channel.EMAIL else "push"
            entries.append(Entry(kind, at, order, address, message=bubble.message))
        else:
            entries.append(Entry("reply", at, order, address, reply=bubble.reply))
    return sorted(entries, key=lambda e: (e.latest, e.order), reverse=True)


# A speech bubble, so the tab is recognisable and the browser's favicon request is not a 404.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" '
    'fill="#17202b"/><path d="M8 9h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4H8a2 2 0 0 1-2-2v-9a2 2 0 0 '
    '1 2-2z" fill="#2f7cf6"/></svg>'
)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/", response_class=HTMLResponse)
async def outbox(state: State, to: str | None = None) -> HTMLResponse:
    wanted = to.strip() if to and to.strip() else None
    messages = state.messages_matching(to=wanted)
    replies = state.replies_matching(sender=wanted)
    page = _templates.get_template("outbox.html.j2").render(
        entries=outbox_entries(messages, replies),
        shown=len(messages),
        shown_replies=len(replies),
        to=wanted or "",
        total=len(state.messages),
        callback_url=state.callback_url,
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
