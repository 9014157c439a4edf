"""Fault injection for the sandbox's OpenText send endpoints: throttling, server errors, slowness and
hangs, so the activities' retry and fallback paths are exercised locally."""

from __future__ import annotations

import asyncio
import random
from typing import Annotated

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class FaultConfig(BaseModel):
    """Set with `POST /sandbox/faults`; every field has a harmless default, so `{}` clears faults."""

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of sends answered with an error status
    status_codes: list[Annotated[int, Field(ge=400, le=599)]] = Field(  # picked uniformly
        default_factory=lambda: [429, 503]
    )
    retry_after: float = Field(default=1.0, ge=0.0)  # seconds, sent with every 429
    latency_ms: int = Field(default=0, ge=0)  # added to every send before it is answered
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of sends that hang, then answer 504
    hang_seconds: float = Field(default=30.0, ge=0.0)  # how long a hang lasts: beyond any sane client timeout
    seed: int | None = None  # seeds the dice, so a test sees the same failures every run
    # Addresses that are accepted but never delivered: stored as "failed", status shows "Error".
    undeliverable: list[str] = Field(default_factory=list)


def _seconds(value: float) -> str:
    # Retry-After is delay-seconds; whole numbers are written without a fraction.
    return str(int(value)) if value == int(value) else f"{value:g}"


async def injected_fault(faults: FaultConfig, rng: random.Random) -> JSONResponse | None:
    """The error response to answer instead of accepting the send, or None to accept it.
    The caller must not store the message when a response comes back: a failed send was not sent."""
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.timeout_rate and rng.random() < faults.timeout_rate:
        await asyncio.sleep(faults.hang_seconds)
        return JSONResponse(
            {"error": {"status": 504, "message": "sandbox fault: upstream timed out"}}, status_code=504
        )
    if faults.error_rate and faults.status_codes and rng.random() < faults.error_rate:
        status = rng.choice(faults.status_codes)
        headers = {"Retry-After": _seconds(faults.retry_after)} if status == 429 else None
        return JSONResponse(
            {"error": {"status": status, "message": f"sandbox fault: injected {status}"}},
            status_code=status,
            headers=headers,
        )
    return None
