"""The sandbox's stand-in for a merchant's service desk: the generic signed HTTP target Tidings
writes case replies to (connectors/service_desk.py). It checks the signature when a secret is
configured and keeps every request for `GET /sandbox/service-desk`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.state import SandboxState, get_state
from connectors.service_desk import signature

router = APIRouter(tags=["sandbox"])
State = Annotated[SandboxState, Depends(get_state)]


@router.post("/sandbox/service-desk", status_code=201)
async def receive(request: Request, state: State) -> Any:
    body = await request.body()
    header = request.headers.get("X-Tidings-Signature", "")
    secret = state.service_desk_secret
    valid = None
    if secret is not None:
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        valid = parts.get("t", "").isdigit() and signature(secret, int(parts["t"]), body) == header
        if not valid:
            return JSONResponse({"error": "bad signature"}, status_code=401)
    record = {
        "idempotency_key": request.headers.get("Idempotency-Key"),
        "signature_valid": valid,
        "body": await request.json(),
    }
    if any(r["idempotency_key"] == record["idempotency_key"] for r in state.service_desk):
        return {"duplicate": True}  # a retried write: the key says it is the same one
    state.service_desk.append(record)
    return record


@router.get("/sandbox/service-desk")
async def received(state: State) -> list[dict[str, Any]]:
    return list(state.service_desk)
