"""Fault injection for the sandbox's OpenText send endpoints: throttling, server errors, slowness,
hangs, and sends accepted whose answer never arrives, so the activities' retry, fallback and
reconciliation paths are exercised locally."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Annotated

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, PrivateAttr
from starlette.types import Receive, Scope, Send


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
    # Share of sends accepted (stored, job id taken) whose answer is then cut off: the connection
    # closes before the body with the job id is written, as when a proxy drops it after the accept.
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # At most this many faults (errors, hangs, dropped answers) for one X-MRA-SubmitId, after which
    # its sends go through: bounds how long retries can take in a test. None: no limit.
    max_faults_per_submit: int | None = Field(default=None, ge=0)
    seed: int | None = None  # seeds the dice, so a test sees the same failures every run
    # Addresses that are accepted but never delivered: stored as "failed", status shows "Error".
    undeliverable: list[str] = Field(default_factory=list)
    _injected: Counter[str] = PrivateAttr(default_factory=Counter)  # faults so far per submit id

    def spent(self, submit_id: str | None) -> bool:
        """Whether this submit id has had its share of faults."""
        limit = self.max_faults_per_submit
        return limit is not None and submit_id is not None and self._injected[submit_id] >= limit

    def injected(self, submit_id: str | None) -> None:
        if submit_id is not None:
            self._injected[submit_id] += 1


def _seconds(value: float) -> str:
    # Retry-After is delay-seconds; whole numbers are written without a fraction.
    return str(int(value)) if value == int(value) else f"{value:g}"


async def injected_fault(
    faults: FaultConfig, rng: random.Random, submit_id: str | None = None
) -> JSONResponse | None:
    """The error response to answer instead of accepting the send, or None to accept it.
    The caller must not store the message when a response comes back: a failed send was not sent."""
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.spent(submit_id):
        return None
    if faults.timeout_rate and rng.random() < faults.timeout_rate:
        faults.injected(submit_id)
        await asyncio.sleep(faults.hang_seconds)
        return JSONResponse(
            {"error": {"status": 504, "message": "sandbox fault: upstream timed out"}}, status_code=504
        )
    if faults.error_rate and faults.status_codes and rng.random() < faults.error_rate:
        faults.injected(submit_id)
        status = rng.choice(faults.status_codes)
        headers = {"Retry-After": _seconds(faults.retry_after)} if status == 429 else None
        return JSONResponse(
            {"error": {"status": status, "message": f"sandbox fault: injected {status}"}},
            status_code=status,
            headers=headers,
        )
    return None


def drops_answer(faults: FaultConfig, rng: random.Random, submit_id: str | None = None) -> bool:
    """Whether this accepted send loses its answer (rolled only when the mode is on, so setting it
    leaves the dice of the other faults as they were)."""
    if not faults.drop_rate or faults.spent(submit_id) or rng.random() >= faults.drop_rate:
        return False
    faults.injected(submit_id)
    return True


class DroppedAnswer(Response):
    """Starts a 200 answer promising a body, then returns without writing it: the server closes the
    connection and the client sees it dropped mid-answer, never learning the job id."""

    def __init__(self) -> None:
        super().__init__(content=b'{"job_id": "withheld by the sandbox"}', media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
