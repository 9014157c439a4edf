"""The SAP Commerce stand-in's state and what its routes share: OData and OCC error shapes, the
Basic and bearer checks (with injected faults), JSON bodies and navigation-path lookups."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.documents import PathFault, bearer_valid, json_object, state_on, take_fault
from connectors.sandbox.rejections import Reject

ODATA = "/odata2webservices"
CANCELLED = "CANCELLED"


@dataclass
class SapSandbox:
    """One SAP Commerce installation's seeded items."""

    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (site, code)
    carts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    customers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (site, uid)
    returns: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (warehouse, product)
    products: dict[tuple[str, str, str], dict[str, Any]] = field(
        default_factory=dict
    )  # (catalog, version, code)
    comments: list[dict[str, Any]] = field(default_factory=list)
    cancellations: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> monotonic expiry
    faults: list[PathFault] = field(default_factory=list)


def sandbox_of(request: Request) -> SapSandbox:
    return state_on(request, "sap", SapSandbox)


State = Annotated[SapSandbox, Depends(sandbox_of)]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def odata_error(status: int, code: str, message: str, **headers: str) -> Reject:
    body = {"error": {"code": code, "message": {"lang": "en", "value": message}}}
    return Reject(JSONResponse(body, status_code=status, headers=headers or None))


def occ_error(status: int, kind: str, message: str) -> Reject:
    return Reject(JSONResponse({"errors": [{"type": kind, "message": message}]}, status_code=status))


def _injected(request: Request, state: SapSandbox) -> None:
    fault = take_fault(state.faults, request.url.path)
    if fault is not None:
        raise odata_error(
            fault.status, "sandbox_fault", f"sandbox fault: injected {fault.status}", **fault.headers()
        )


def require_basic(request: Request, state: State) -> None:
    """Any non-empty user and password open the Integration API: presence, not identity."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if scheme.lower() != "basic" or not user or not password:
        raise odata_error(
            401, "unauthorized", "Full authentication is required", **{"WWW-Authenticate": "Basic"}
        )
    _injected(request, state)


def require_bearer(request: Request, state: State) -> None:
    if not bearer_valid(request, state.tokens):
        raise Reject(
            JSONResponse(
                {"errors": [{"type": "InvalidTokenError", "message": "Invalid access token"}]},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        )
    _injected(request, state)


BasicAuth = Depends(require_basic)
BearerAuth = Depends(require_bearer)


async def json_body(request: Request) -> dict[str, Any]:
    return await json_object(request, lambda message: odata_error(400, "invalid_json", message))


def lookup(doc: Any, path: str) -> Any:
    for part in path.split("/"):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc
