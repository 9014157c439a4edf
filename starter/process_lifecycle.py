"""What every long-running process does around its work: wait for Temporal instead of dying when it
starts first, and turn SIGTERM/SIGINT into an orderly stop."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from temporalio.client import Client

from domain.settings import Settings
from starter.temporal_client import connect

log = logging.getLogger("tidings.startup")


async def connect_when_ready(
    settings: Settings, *, first_delay: float = 0.5, max_delay: float = 10.0
) -> Client:
    """Connect, retrying with exponential backoff for up to TIDINGS_TEMPORAL_CONNECT_TIMEOUT seconds:
    on a cold `docker compose up` or a new cluster, the worker often starts before the frontend answers."""
    deadline = time.monotonic() + settings.temporal_connect_timeout
    delay = first_delay
    while True:
        try:
            return await connect(settings)
        except RuntimeError as exc:  # the SDK's "Failed client connect: ..."
            if time.monotonic() + delay > deadline:
                raise
            log.warning(
                "Temporal at %s not ready (%s); retrying in %.1f s", settings.temporal_address, exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)


def stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
