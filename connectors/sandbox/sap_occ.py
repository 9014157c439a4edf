"""The sandbox's OAuth authorization server (client credentials) and OCC order cancellation."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from connectors.sandbox.sap_state import CANCELLED, BearerAuth, State, lookup, now_iso, occ_error

router = APIRouter()

TOKEN_TTL = 43199  # SAP's authorization server's default: 12 hours


@router.post("/authorizationserver/oauth/token")
async def issue_token(request: Request, state: State) -> JSONResponse:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
    if form.get("grant_type") != "client_credentials":
        return JSONResponse(
            {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"},
            status_code=400,
        )
    if not client_id or not secret:
        return JSONResponse({"error": "invalid_client", "error_description": "Bad client credentials"}, 401)
    token = secrets.token_urlsafe(24)
    state.tokens[token] = time.monotonic() + TOKEN_TTL
    return JSONResponse(
        {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_TTL, "scope": "basic"}
    )


@router.post("/occ/v2/{site}/users/{uid}/orders/{code}/cancellation", dependencies=[BearerAuth])
async def occ_cancel(site: str, uid: str, code: str, request: Request, state: State) -> Response:
    order = state.orders.get((site, code))
    if order is None or lookup(order, "user/uid") != uid:
        raise occ_error(404, "UnknownIdentifierError", f"Order with guid {code} not found for current user")
    if lookup(order, "status/code") in (CANCELLED, "CANCELLING"):
        raise occ_error(400, "CancellationError", f"Order {code} is not cancellable")
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise occ_error(400, "ValidationError", "the request body is not JSON") from None
    inputs = body.get("cancellationRequestEntryInputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not inputs:
        raise occ_error(400, "ValidationError", "cancellationRequestEntryInputs is required")
    entries = {e.get("entryNumber"): e for e in order.get("entries", []) if isinstance(e, dict)}
    restocked = []
    for item in inputs:
        number, quantity = item.get("orderEntryNumber"), item.get("quantity")
        entry = entries.get(number)
        if (
            entry is None
            or not isinstance(quantity, int)
            or not 0 < quantity <= int(entry.get("quantity", 1))
        ):
            raise occ_error(400, "ValidationError", f"entry {number} cannot be cancelled {quantity} times")
        restocked.append({"product": lookup(entry, "product/code"), "quantity": quantity})
    order["status"] = {"code": CANCELLED, "integrationKey": CANCELLED}
    for consignment in order.get("consignments", []):
        consignment["status"] = {"code": CANCELLED, "integrationKey": CANCELLED}
    state.cancellations.append(
        {"site": site, "order": code, "user": uid, "entries": inputs, "restocked": restocked, "at": now_iso()}
    )
    return Response(status_code=200)
