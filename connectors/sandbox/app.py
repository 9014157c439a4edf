"""The sandbox app: OpenText and BigCommerce stand-ins, sandbox controls and the outbox page."""

from __future__ import annotations

from fastapi import FastAPI

from connectors.sandbox import bigcommerce_api, control_api, opentext_api, outbox
from connectors.sandbox.rejections import Reject, reject_handler
from connectors.sandbox.state import SandboxState


def create_app(callback_url: str | None = None) -> FastAPI:
    """A fresh sandbox with empty state. `callback_url` is where OpenText-style callbacks (status
    webhooks, customer replies) are to be posted; it is kept on the state for those features."""
    app = FastAPI(
        title="Tidings sandbox",
        description="Local stand-in for OpenText Cloud Messaging and the BigCommerce REST API.",
        version="0.1.0",
    )
    app.state.sandbox = SandboxState(callback_url=callback_url)
    app.add_exception_handler(Reject, reject_handler)
    app.include_router(opentext_api.router)
    app.include_router(bigcommerce_api.router)
    app.include_router(control_api.router)
    app.include_router(outbox.router)
    return app
