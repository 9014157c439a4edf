"""Which failures mean "Temporal (or the store) cannot be reached right now", the only ones the
ingress answers with 503 + Retry-After. A platform retries a 503 for days: a request Temporal refuses
for what it is (an id it will not take) must get a 4xx instead, or it is retried forever; a bug of
ours is a 500 with its traceback in the log, not a 503 that hides it."""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from temporalio.service import RPCError, RPCStatusCode

# gRPC codes that say nothing about the request itself: the service is down, slow or overloaded.
_TRANSIENT = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.CANCELLED,
    }
)
# What Temporal answers about the request: a workflow id too long, a payload too large …
_REFUSED = frozenset({RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.OUT_OF_RANGE})


def is_unreachable(exc: BaseException) -> bool:
    """Temporal or the database did not answer: the caller should retry later (503)."""
    if isinstance(exc, RPCError):
        return exc.status in _TRANSIENT
    if isinstance(exc, TimeoutError | ConnectionError):  # asyncio.wait_for's deadline included
        return True
    # A lazy client's first call to an address nobody listens on.
    if isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect"):
        return True
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout)  # the store


def refusal(exc: BaseException) -> str | None:
    """Temporal's reason when it refused the request for what it is (a 400), else None."""
    if isinstance(exc, RPCError) and exc.status in _REFUSED:
        return f"the workflow engine refused the request: {exc.message}"
    return None


RETRY_AFTER_SECONDS = "30"


def failure_answer(exc: Exception, log: logging.Logger, what: str) -> JSONResponse:
    """The answer to a failure of Temporal or the store while handling `what`: 503 + Retry-After for
    an outage, 400 for a request Temporal refuses as invalid. Anything else is re-raised: a bug of
    ours, answered 500 by the ingress and logged with its traceback."""
    if is_unreachable(exc):
        log.warning("%s: Temporal or the store is unreachable: %s", what, exc)
        return JSONResponse(
            {"error": "workflow engine unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    reason = refusal(exc)
    if reason is None:
        raise exc
    log.warning("%s: refused: %s", what, exc)
    return JSONResponse({"error": reason}, status_code=400)
