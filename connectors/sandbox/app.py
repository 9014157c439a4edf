"""The sandbox app: OpenText and BigCommerce stand-ins, sandbox controls and the outbox page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from connectors.opentext.callbacks import DEFAULT_CALLBACK_HEADER
from connectors.sandbox import (
    bigcommerce_api,
    control_api,
    opentext_api,
    outbox,
    sap_api,
    service_desk_api,
    sfcc_api,
    webhooks,
)
from connectors.sandbox.rejections import Reject, reject_handler
from connectors.sandbox.state import SandboxState


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # Status callbacks still waiting for their delay die with the server: a restart is a clean slate.
    state: SandboxState = app.state.sandbox
    pending = list(state.pending)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def create_app(
    callback_url: str | None = None,
    callback_secret: str | None = None,
    status_delay: float = 0.5,
    *,
    callback_header: str = DEFAULT_CALLBACK_HEADER,
    service_desk_secret: str | None = None,
) -> FastAPI:
    """A fresh sandbox with empty state.

    `callback_url` is the ingress's base URL: accepted SMS and email sends are followed, after
    `status_delay` seconds, by a status webhook to `{callback_url}/callbacks/opentext/status`, and
    `POST /sandbox/reply` forwards to `{callback_url}/callbacks/opentext/inbound`. Both carry
    `callback_header: callback_secret` when a secret is given. Without a callback_url nothing is
    posted and replies answer 502.
    """
    app = FastAPI(
        title="Tidings sandbox",
        description="Local stand-in for OpenText Cloud Messaging and the BigCommerce REST API.",
        version="0.1.0",
        lifespan=_lifespan,
    )
    app.state.sandbox = SandboxState(
        callback_url=callback_url,
        callback_secret=callback_secret,
        callback_header=callback_header,
        status_delay=status_delay,
    )
    app.state.sandbox.service_desk_secret = service_desk_secret
    app.add_exception_handler(Reject, reject_handler)
    app.include_router(opentext_api.router)
    app.include_router(bigcommerce_api.router)
    app.include_router(sfcc_api.router)
    app.include_router(sap_api.router)
    app.include_router(control_api.router)
    app.include_router(webhooks.router)
    app.include_router(service_desk_api.router)
    app.include_router(outbox.router)
    return app
