"""Run the sandbox under uvicorn (what `tidings sandbox` calls)."""

from __future__ import annotations

import uvicorn

from connectors.sandbox.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, callback_url: str | None = None) -> None:
    """Blocks until interrupted. Loopback by default: the sandbox accepts any credentials."""
    uvicorn.run(create_app(callback_url), host=host, port=port, log_level="info")
