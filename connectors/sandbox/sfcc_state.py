"""What the SFCC sandbox keeps and how it answers errors: the seeded sites and Service Cloud org,
token checks for OCAPI and Service Cloud, injected faults, and OCAPI / Salesforce error bodies.

State lives on `request.app.state.sfcc`, created on first use, so any app that includes
`sfcc_api.router` gets an empty SFCC on start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.documents import PathFault, bearer_valid, json_object, state_on, stored, take_fault
from connectors.sandbox.rejections import Reject


@dataclass
class SfccSandbox:
    """Seeded B2C Commerce sites and one Service Cloud org, keyed by (site, id) where per site."""

    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    notes: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    api_writes: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    baskets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    products: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # by record Id, in seeding order
    case_sites: dict[str, str] = field(default_factory=dict)  # record Id -> site
    comments: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> monotonic expiry
    faults: list[PathFault] = field(default_factory=list)
    token_requests: int = 0


def sandbox_of(request: Request) -> SfccSandbox:
    return state_on(request, "sfcc", SfccSandbox)


State = Annotated[SfccSandbox, Depends(sandbox_of)]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def fault(status: int, kind: str, message: str, **headers: str) -> Reject:
    body = {"_v": "24.5", "fault": {"type": kind, "message": message}}
    return Reject(JSONResponse(body, status_code=status, headers=headers or None))


def salesforce_error(status: int, code: str, message: str) -> Reject:
    return Reject(JSONResponse([{"errorCode": code, "message": message}], status_code=status))


def _injected(request: Request, state: SfccSandbox) -> None:
    injected = take_fault(state.faults, request.url.path)
    if injected is not None:
        raise fault(injected.status, "ServiceUnavailableException", "injected fault", **injected.headers())


def require_ocapi_token(request: Request, state: State) -> None:
    _injected(request, state)
    if not bearer_valid(request, state.tokens):
        raise fault(
            401, "InvalidAccessTokenException", "The request is unauthorized: the access token is invalid."
        )


def require_org_session(request: Request, state: State) -> None:
    _injected(request, state)
    if not bearer_valid(request, state.tokens):
        raise salesforce_error(401, "INVALID_SESSION_ID", "Session expired or invalid")


OcapiAuth = Depends(require_ocapi_token)
OrgAuth = Depends(require_org_session)


async def json_body(request: Request) -> dict[str, Any]:
    return await json_object(request, lambda message: fault(400, "MalformedDocumentException", message))


def stored_order(state: SfccSandbox, site: str, order_no: str) -> dict[str, Any]:
    return stored(
        state.orders,
        (site, order_no),
        lambda: fault(404, "OrderNotFoundException", f"No order with number '{order_no}' was found."),
    )
