"""The sandbox's imitation of the SAP Commerce Cloud APIs the connector calls, plus seeding endpoints.

- Integration API (OData v2) under `/odata2webservices/{IntegrationObject}/{EntitySet}`: the
  `Tidings*` IOs' entity sets, read with `$filter` (the subset the connector sends: `eq` on
  attributes and navigation paths such as `site/uid`, `and`, `or`, parentheses), `$expand`
  (navigation properties not expanded answer `__deferred`, as SAP's do), `$top`/`$skip`, or by key
  (`Orders('00001234')`); `POST .../Comments` upserts a comment by code. HTTP Basic with any
  non-empty user and password. Errors are OData's `{"error": {"code", "message": {"lang", "value"}}}`.
- OAuth: `POST /authorizationserver/oauth/token` (client credentials; any non-empty client).
- OCC: `POST /occ/v2/{site}/users/{uid}/orders/{code}/cancellation` with a bearer token: cancels
  the entries, puts their stock back (recorded), and the order becomes CANCELLED. Errors are OCC's
  `{"errors": [{"type", "message"}]}`.
- Seeding (`/sandbox/sap/{site}/...`): `PUT` orders, carts, customers, return requests (each the IO's
  item JSON, as a webhook posts it), products, stock levels; `DELETE` a cart; `GET` an order shows
  its document with the comments and cancellations Tidings wrote; `GET /sandbox/sap/writes` lists
  every write; `PUT /sandbox/sap/faults` makes the next API calls fail.

Codes are unique per base site here (tests reuse order numbers across sites), so lookups that SAP
would do by code alone also match the site; stock levels and products are global, as in SAP.
State lives on `request.app.state.sap`, created on first use.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from connectors.sandbox.documents import (
    PathFault,
    bearer_valid,
    forget,
    json_object,
    parse_faults,
    seeded,
    state_on,
    stored,
    take_fault,
)
from connectors.sandbox.rejections import Reject

router = APIRouter(tags=["SAP Commerce"])

ODATA = "/odata2webservices"
TOKEN_TTL = 43199  # SAP's authorization server's default: 12 hours
DEFAULT_CATALOG = "tidingsProductCatalog"
DEFAULT_VERSION = "Online"
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


def _now() -> str:
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


async def _json_object(request: Request) -> dict[str, Any]:
    return await json_object(request, lambda message: odata_error(400, "invalid_json", message))


# ---- $filter ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<literal>'(?:[^']|'')*')|(?P<paren>[()])|(?P<word>[A-Za-z_$][\w/]*))")

Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise odata_error(400, "invalid_query", f"$filter cannot be parsed near {text[position:]!r}")
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


def _lookup(doc: Any, path: str) -> Any:
    for part in path.split("/"):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def parse_filter(text: str) -> Predicate:
    """`a eq 'x'`, `a/b eq 'x'`, `and` (binds tighter), `or`, parentheses."""
    tokens = _tokens(text)
    position = 0

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise odata_error(400, "invalid_query", f"$filter ends too early: {text!r}")
        position += 1
        return tokens[position - 1]

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def factor() -> Predicate:
        token = take()
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise odata_error(400, "invalid_query", f"$filter: missing ')' in {text!r}")
            return inner
        operator, literal = take(), take()
        if operator != "eq" or not literal.startswith("'"):
            raise odata_error(400, "invalid_query", f"$filter supports only `<path> eq '<value>'`: {text!r}")
        wanted = literal[1:-1].replace("''", "'")
        return lambda doc: _lookup(doc, token) is not None and str(_lookup(doc, token)) == wanted

    def conjunction() -> Predicate:
        parts = [factor()]
        while peek() == "and":
            take()
            parts.append(factor())
        return lambda doc: all(p(doc) for p in parts)

    def disjunction() -> Predicate:
        parts = [conjunction()]
        while peek() == "or":
            take()
            parts.append(conjunction())
        return lambda doc: any(p(doc) for p in parts)

    predicate = disjunction()
    if position != len(tokens):
        raise odata_error(400, "invalid_query", f"$filter has trailing input: {text!r}")
    return predicate


# ---- OData views -------------------------------------------------------------------------------------


def _expanded(expand: str | None) -> set[str]:
    paths: set[str] = set()
    for item in (expand or "").split(","):
        parts = [p for p in item.strip().split("/") if p]
        for end in range(1, len(parts) + 1):
            paths.add("/".join(parts[:end]))  # expanding a/b expands a too
    return paths


def odata_view(
    doc: dict[str, Any], expanded: set[str], uri: str, type_name: str, prefix: str = ""
) -> dict[str, Any]:
    """An item as OData v2 JSON: `__metadata`, collections as `{"results": …}`, navigation
    properties not asked for as `__deferred`."""
    view: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": f"HybrisCommerceOData.{type_name}"}}
    for key, value in doc.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            view[key] = (
                odata_view(value, expanded, f"{uri}/{key}", key[:1].upper() + key[1:], path)
                if path in expanded
                else {"__deferred": {"uri": f"{uri}/{key}"}}
            )
        elif isinstance(value, list):
            view[key] = (
                {
                    "results": [
                        odata_view(item, expanded, f"{uri}/{key}", key[:1].upper() + key[1:], path)
                        for item in value
                        if isinstance(item, dict)
                    ]
                }
                if path in expanded
                else {"__deferred": {"uri": f"{uri}/{key}"}}
            )
        else:
            view[key] = value
    return view


def _key_of(doc: dict[str, Any]) -> str:
    return str(doc.get("integrationKey") or doc.get("code") or doc.get("uid") or "")


def _entities(state: SapSandbox, io: str, entity_set: str) -> Iterator[dict[str, Any]] | None:
    sources: dict[tuple[str, str], Callable[[], Iterator[dict[str, Any]]]] = {
        ("TidingsOrder", "Orders"): lambda: iter(state.orders.values()),
        ("TidingsCart", "Carts"): lambda: iter(state.carts.values()),
        ("TidingsCustomer", "Customers"): lambda: iter(state.customers.values()),
        ("TidingsReturnRequest", "ReturnRequests"): lambda: iter(state.returns.values()),
        ("TidingsStockLevel", "StockLevels"): lambda: iter(state.stock.values()),
        ("TidingsProduct", "Products"): lambda: iter(state.products.values()),
        ("TidingsOrderComment", "Comments"): lambda: (c["document"] for c in state.comments if c["io"] == io),
        ("TidingsReturnRequestComment", "Comments"): lambda: (
            c["document"] for c in state.comments if c["io"] == io
        ),
    }
    source = sources.get((io, entity_set))
    return source() if source is not None else None


_KEYED = re.compile(r"^(?P<set>\w+)\('(?P<key>(?:[^']|'')*)'\)$")


@router.get(ODATA + "/{io}/{resource}", dependencies=[BasicAuth])
async def odata_read(io: str, resource: str, request: Request, state: State) -> JSONResponse:
    keyed = _KEYED.match(resource)
    entity_set = keyed.group("set") if keyed else resource
    found = _entities(state, io, entity_set)
    if found is None:
        raise odata_error(404, "invalid_entity_set", f"{io} has no entity set {entity_set}")
    query = request.query_params
    expanded = _expanded(query.get("$expand"))
    type_name = entity_set[:-1] if entity_set.endswith("s") else entity_set
    root = f"{str(request.base_url).rstrip('/')}{ODATA}/{io}/{entity_set}"
    if keyed:
        key = keyed.group("key").replace("''", "'")
        doc = next((d for d in found if _key_of(d) == key), None)
        if doc is None:
            raise odata_error(404, "not_found", f"Entity {entity_set} with key [{key}] was not found")
        return JSONResponse({"d": odata_view(doc, expanded, f"{root}('{key}')", type_name)})
    docs = list(found)
    if query.get("$filter"):
        predicate = parse_filter(query["$filter"])
        docs = [d for d in docs if predicate(d)]
    try:
        skip, top = int(query.get("$skip", "0")), int(query.get("$top", "1000"))
    except ValueError:
        raise odata_error(400, "invalid_query", "$top and $skip must be integers") from None
    docs = docs[skip : skip + top]
    results = [odata_view(d, expanded, f"{root}('{_key_of(d)}')", type_name) for d in docs]
    return JSONResponse({"d": {"results": results}})


@router.post(ODATA + "/{io}/Comments", dependencies=[BasicAuth], status_code=201)
async def odata_post_comment(io: str, request: Request, state: State) -> JSONResponse:
    """Upsert a comment by code; its `relatedItems` must name an order (TidingsOrderComment) or
    return request (TidingsReturnRequestComment) seeded here."""
    body = await _json_object(request)
    code, text = body.get("code"), body.get("text")
    if not isinstance(code, str) or not code or not isinstance(text, str):
        raise odata_error(400, "missing_key", "Comment needs code and text")
    related = body.get("relatedItems")
    target = related[0] if isinstance(related, list) and related and isinstance(related[0], dict) else None
    if target is None:
        raise odata_error(400, "missing_nav_property", "Comment needs relatedItems")
    if io == "TidingsOrderComment":
        site = _lookup(target, "site/uid")
        order_code = target.get("code")
        if (site, order_code) not in state.orders:
            raise odata_error(400, "missing_nav_property", f"Order [{site}|{order_code}] does not exist")
        return_code = None
    elif io == "TidingsReturnRequestComment":
        site = _lookup(target, "order/site/uid")
        return_code = target.get("code")
        order_code = _lookup(target, "order/code")
        if (site, return_code) not in state.returns:
            raise odata_error(400, "missing_nav_property", f"ReturnRequest [{return_code}] does not exist")
    else:
        raise odata_error(404, "invalid_entity_set", f"{io} has no entity set Comments")
    record = {
        "io": io,
        "site": site,
        "order": order_code,
        "return_request": return_code,
        "text": text,
        "at": _now(),
        "document": {**body, "integrationKey": code},
    }
    existing = next((c for c in state.comments if c["io"] == io and c["document"]["code"] == code), None)
    if existing is not None:
        existing.update(record | {"at": existing["at"]})  # an upsert: one comment per code
    else:
        state.comments.append(record)
    uri = f"{str(request.base_url).rstrip('/')}{ODATA}/{io}/Comments('{code}')"
    return JSONResponse({"d": odata_view(record["document"], set(), uri, "Comment")}, status_code=201)


# ---- OAuth and OCC -----------------------------------------------------------------------------------


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
    if order is None or _lookup(order, "user/uid") != uid:
        raise occ_error(404, "UnknownIdentifierError", f"Order with guid {code} not found for current user")
    if _lookup(order, "status/code") in (CANCELLED, "CANCELLING"):
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
        restocked.append({"product": _lookup(entry, "product/code"), "quantity": quantity})
    order["status"] = {"code": CANCELLED, "integrationKey": CANCELLED}
    for consignment in order.get("consignments", []):
        consignment["status"] = {"code": CANCELLED, "integrationKey": CANCELLED}
    state.cancellations.append(
        {"site": site, "order": code, "user": uid, "entries": inputs, "restocked": restocked, "at": _now()}
    )
    return Response(status_code=200)


# ---- seeding (sandbox only) ------------------------------------------------------------------------


def _with_site(doc: dict[str, Any], site: str) -> None:
    doc["site"] = {"uid": site, "integrationKey": site}


@router.put("/sandbox/sap/{site}/orders/{code}", tags=["sandbox"])
async def seed_order(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a `TidingsOrder` item JSON (as simulate.order_document builds it). Replaces any order
    seeded under this code on this site."""
    doc = await _json_object(request)
    if not isinstance(_lookup(doc, "status/code"), str):
        raise odata_error(400, "missing_attribute", "an order needs status.code")
    doc["code"], doc["integrationKey"] = code, code
    _with_site(doc, site)
    doc.setdefault("entries", [])
    doc.setdefault("consignments", [])
    return seeded(state.orders, (site, code), doc)


@router.get("/sandbox/sap/{site}/orders/{code}", tags=["sandbox"])
async def show_order(site: str, code: str, state: State) -> dict[str, Any]:
    """The order as SAP holds it now, the comments Tidings wrote on it and on its return requests
    (oldest first), and its cancellations through OCC."""
    order = stored(
        state.orders,
        (site, code),
        lambda: odata_error(404, "not_found", f"no order {code} seeded for site {site}"),
    )
    return {
        "order": copy.deepcopy(order),
        "comments": [
            {k: v for k, v in c.items() if k != "document"}
            for c in state.comments
            if c["site"] == site and c["order"] == code
        ],
        "cancellations": [c for c in state.cancellations if c["site"] == site and c["order"] == code],
    }


@router.put("/sandbox/sap/{site}/carts/{code}", tags=["sandbox"])
async def seed_cart(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    doc = await _json_object(request)
    doc["code"], doc["integrationKey"] = code, code
    _with_site(doc, site)
    doc.setdefault("entries", [])
    return seeded(state.carts, (site, code), doc)


@router.delete("/sandbox/sap/{site}/carts/{code}", tags=["sandbox"])
async def remove_cart(site: str, code: str, state: State) -> dict[str, int]:
    """Forget the cart (as SAP does when it is checked out): the Integration API no longer finds it."""
    return forget(state.carts, (site, code))


@router.put("/sandbox/sap/{site}/customers/{uid}", tags=["sandbox"])
async def seed_customer(site: str, uid: str, request: Request, state: State) -> dict[str, Any]:
    doc = await _json_object(request)
    doc["uid"], doc["integrationKey"] = uid, uid
    return seeded(state.customers, (site, uid), doc)


@router.put("/sandbox/sap/{site}/returns/{code}", tags=["sandbox"])
async def seed_return(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a `TidingsReturnRequest` item JSON; its order must be seeded on this site."""
    doc = await _json_object(request)
    order_code = _lookup(doc, "order/code")
    if (site, order_code) not in state.orders:
        raise odata_error(400, "missing_nav_property", f"Order [{order_code}] is not seeded for site {site}")
    doc["code"], doc["integrationKey"] = code, code
    doc.setdefault("RMA", code)
    _with_site(doc["order"], site)
    return seeded(state.returns, (site, code), doc)


@router.put("/sandbox/sap/{site}/stock/{warehouse}/{product_code}", tags=["sandbox"])
async def seed_stock(
    site: str, warehouse: str, product_code: str, request: Request, state: State
) -> dict[str, Any]:
    """A stock level (global in SAP: per warehouse, not per site). Body: `available`, `reserved`,
    optional `overSelling`, `inStockStatus`."""
    doc = await _json_object(request)
    doc["productCode"] = product_code
    doc["warehouse"] = {"code": warehouse, "integrationKey": warehouse}
    doc.setdefault("available", 0)
    doc.setdefault("reserved", 0)
    doc.setdefault("inStockStatus", {"code": "notSpecified", "integrationKey": "notSpecified"})
    doc["integrationKey"] = f"{product_code}|{warehouse}"
    return seeded(state.stock, (warehouse, product_code), doc)


@router.put("/sandbox/sap/{site}/products/{code}", tags=["sandbox"])
async def seed_product(site: str, code: str, request: Request, state: State) -> dict[str, Any]:
    """A `TidingsProduct` item JSON; without `catalogVersion`, the sandbox catalog's Online version."""
    doc = await _json_object(request)
    doc["code"] = code
    version = doc.setdefault(
        "catalogVersion", {"version": DEFAULT_VERSION, "catalog": {"id": DEFAULT_CATALOG}}
    )
    catalog = str(_lookup(version, "catalog/id") or DEFAULT_CATALOG)
    return seeded(state.products, (catalog, str(version.get("version", DEFAULT_VERSION)), code), doc)


@router.get("/sandbox/sap/writes", tags=["sandbox"])
async def list_writes(state: State) -> dict[str, list[dict[str, Any]]]:
    """Every comment and cancellation Tidings made, oldest first."""
    return {
        "comments": [{k: v for k, v in c.items() if k != "document"} for c in state.comments],
        "cancellations": state.cancellations,
    }


@router.put("/sandbox/sap/faults", tags=["sandbox"])
async def set_faults(request: Request, state: State) -> dict[str, int]:
    """Body: a list of `{status, times, retry_after?, path_contains?}`: the next matching API calls
    answer that status (OData error shape). `[]` clears them."""
    try:
        state.faults = parse_faults(await request.body())
    except (ValueError, TypeError) as exc:
        raise odata_error(400, "invalid_json", f"faults must be a list of objects: {exc}") from exc
    return {"faults": len(state.faults)}
