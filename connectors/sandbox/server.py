"""Run the sandbox under uvicorn (what `tidings sandbox` calls)."""

from __future__ import annotations

import uvicorn

from connectors.opentext.callbacks import DEFAULT_CALLBACK_HEADER
from connectors.sandbox.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    callback_url: str | None = None,
    callback_secret: str | None = None,
    status_delay: float = 0.5,
    *,
    callback_header: str = DEFAULT_CALLBACK_HEADER,
) -> None:
    """Blocks until interrupted. Loopback by default: the sandbox accepts any credentials.
    The callback parameters are `create_app`'s: where and how status webhooks and replies are posted."""
    app = create_app(callback_url, callback_secret, status_delay, callback_header=callback_header)
    uvicorn.run(app, host=host, port=port, log_level="info")
