"""The sandbox's imitation of the SFCC APIs the connector calls, plus seeding endpoints.

- Account Manager: `POST /sfcc/oauth2/access_token` (client credentials, HTTP Basic; any client).
- OCAPI Shop API under `/s/{site}/dw/shop/{version}`: orders (GET, PATCH status), order notes (GET,
  POST), baskets, products (`expand=availability,prices`), `POST /order_search` (the query subset
  the connector sends: term/one_of on order fields, date ranges). Errors are OCAPI faults:
  `{"_v": "24.5", "fault": {"type": "OrderNotFoundException", "message": …}}`.
- Service Cloud under `/services/data/{version}`: `GET /query?q=SOQL` (SELECT … FROM Case WHERE
  CaseNumber = '…', SELECT … FROM CaseComment WHERE ParentId = '…') and `POST /sobjects/CaseComment`;
  errors as Salesforce's list of `{errorCode, message}`. One org for every site: a case number seeded
  twice (two sites) resolves to the case seeded last.
- Seeding (`/sandbox/sfcc/{site}/...`): orders, baskets, products, cases; `GET` of an order shows
  the notes and API writes it received, `GET .../case-comments` the comments on the site's cases.
  `PUT /sandbox/sfcc/faults` makes the next OCAPI / Service Cloud calls fail (status, Retry-After).

State lives on `request.app.state.sfcc`, created on first use, so any app that includes `router`
gets an empty SFCC on start.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import time
import uuid
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
from connectors.sfcc.status_map import ORDER_STATUSES
from connectors.wire import parse_iso

router = APIRouter(tags=["SFCC"])

OCAPI = "/s/{site}/dw/shop/{version}"
SERVICE_CLOUD = "/services/data/{version}"
TOKEN_TTL = 1799  # Account Manager's client-credentials tokens live 30 minutes
SANDBOX_ONLY = ("notes", "api_writes")


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


def _now() -> str:
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


async def _json_object(request: Request) -> dict[str, Any]:
    return await json_object(request, lambda message: fault(400, "MalformedDocumentException", message))


# ---- Account Manager ----------------------------------------------------------------------------


@router.post("/sfcc/oauth2/access_token", tags=["SFCC"])
async def access_token(request: Request, state: State) -> JSONResponse:
    """Client credentials: any client id and secret, sent as HTTP Basic (or in the form)."""
    # Parsed by hand: starlette's form parsing needs python-multipart, which the project does not install.
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", errors="replace")).items()}
    if form.get("grant_type") != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    client_id = form.get("client_id")
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            client_id = base64.b64decode(encoded).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            client_id = None
    if not client_id:
        return JSONResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed"}, status_code=401
        )
    token = secrets.token_urlsafe(32)
    state.tokens[token] = time.monotonic() + TOKEN_TTL
    state.token_requests += 1
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL, "scope": "mail tenantFilter"}
    )


# ---- OCAPI Shop API -----------------------------------------------------------------------------


def _order(state: SfccSandbox, site: str, order_no: str) -> dict[str, Any]:
    return stored(
        state.orders,
        (site, order_no),
        lambda: fault(404, "OrderNotFoundException", f"No order with number '{order_no}' was found."),
    )


def _ocapi_order(request: Request, site: str, version: str, order: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(order)
    doc.update({"_v": version.removeprefix("v").replace("_", "."), "_type": "order"})
    base = str(request.base_url).rstrip("/")
    doc["notes"] = {
        "_type": "simple_link",
        "link": f"{base}/s/{site}/dw/shop/{version}/orders/{order['order_no']}/notes",
    }
    return doc


@router.get(f"{OCAPI}/orders/{{order_no}}", dependencies=[OcapiAuth])
async def get_order(request: Request, site: str, version: str, order_no: str, state: State) -> dict[str, Any]:
    return _ocapi_order(request, site, version, _order(state, site, order_no))


@router.patch(f"{OCAPI}/orders/{{order_no}}", dependencies=[OcapiAuth])
async def patch_order(
    request: Request, site: str, version: str, order_no: str, state: State
) -> dict[str, Any]:
    """The status and custom attributes can change; the rest of a placed order cannot."""
    order = _order(state, site, order_no)
    changes = await _json_object(request)
    for key in changes:
        if key != "status" and not key.startswith("c_"):
            raise fault(
                400, "InvalidPropertyException", f"The property '{key}' cannot be changed on an order."
            )
    status = changes.get("status")
    if status is not None and status not in ORDER_STATUSES:
        raise fault(400, "InvalidOrderStatusException", f"'{status}' is not an order status.")
    if status == "cancelled" and order.get("status") in ("completed", "failed", "replaced"):
        raise fault(400, "OrderStatusTransitionException", f"A {order['status']} order cannot be cancelled.")
    order.update(changes)
    order["last_modified"] = _now()
    state.api_writes.setdefault((site, order_no), []).append(
        {"method": "PATCH", "body": changes, "at": _now()}
    )
    return _ocapi_order(request, site, version, order)


@router.get(f"{OCAPI}/orders/{{order_no}}/notes", dependencies=[OcapiAuth])
async def get_notes(site: str, version: str, order_no: str, state: State) -> dict[str, Any]:
    _order(state, site, order_no)
    notes = copy.deepcopy(state.notes.get((site, order_no), []))
    return {"_v": "24.5", "_type": "notes", "notes": notes}


@router.post(f"{OCAPI}/orders/{{order_no}}/notes", dependencies=[OcapiAuth])
async def add_note(request: Request, site: str, version: str, order_no: str, state: State) -> Response:
    _order(state, site, order_no)
    body = await _json_object(request)
    subject, text = body.get("subject"), body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise fault(400, "MissingPropertyException", "The note needs a 'text'.")
    if not isinstance(subject, str) or not subject.strip():
        raise fault(400, "MissingPropertyException", "The note needs a 'subject'.")
    note = {
        "_type": "note",
        "id": uuid.uuid4().hex[:24],
        "created_by": "tidings (API client)",
        "creation_date": _now(),
        "subject": subject,
        "text": text,
    }
    state.notes.setdefault((site, order_no), []).append(note)
    return Response(status_code=204)


@router.get(f"{OCAPI}/baskets/{{basket_id}}", dependencies=[OcapiAuth])
async def get_basket(site: str, version: str, basket_id: str, state: State) -> dict[str, Any]:
    basket = stored(
        state.baskets,
        (site, basket_id),
        lambda: fault(404, "BasketNotFoundException", f"No basket with ID '{basket_id}' was found."),
    )
    return {**copy.deepcopy(basket), "_v": "24.5", "_type": "basket"}


@router.get(f"{OCAPI}/products/{{product_id}}", dependencies=[OcapiAuth])
async def get_product(
    site: str, version: str, product_id: str, state: State, expand: str = ""
) -> dict[str, Any]:
    """As OCAPI: `inventory` only with expand=availability, `price` only with expand=prices."""
    product = stored(
        state.products,
        (site, product_id),
        lambda: fault(404, "ProductNotFoundException", f"No product with ID '{product_id}' was found."),
    )
    wanted = {part.strip() for part in expand.split(",") if part.strip()}
    doc = {**copy.deepcopy(product), "_v": "24.5", "_type": "product"}
    if "availability" not in wanted:
        doc.pop("inventory", None)
    if "prices" not in wanted:
        doc.pop("price", None)
    return doc


_SEARCH_FIELDS = {
    "customer_no": lambda o: (o.get("customer_info") or {}).get("customer_no"),
    "customer_email": lambda o: (o.get("customer_info") or {}).get("email"),
    "order_no": lambda o: o.get("order_no"),
    "status": lambda o: o.get("status"),
    "creation_date": lambda o: o.get("creation_date"),
}


def _value(order: dict[str, Any], name: str) -> Any:
    getter = _SEARCH_FIELDS.get(name)
    if getter is None:
        raise fault(
            400, "UnsupportedSearchFieldException", f"The field '{name}' cannot be searched in the sandbox."
        )
    return getter(order)


def _matches(order: dict[str, Any], clause: dict[str, Any]) -> bool:
    """The part of OCAPI's search query language the connector uses."""
    if len(clause) != 1:
        raise fault(400, "MalformedQueryException", "A query or filter has exactly one kind.")
    kind, spec = next(iter(clause.items()))
    if not isinstance(spec, dict):
        raise fault(400, "MalformedQueryException", f"{kind} must be an object.")
    if kind == "match_all_query":
        return True
    if kind == "filtered_query":
        inner, condition = spec.get("query"), spec.get("filter")
        if not isinstance(inner, dict) or not isinstance(condition, dict):
            raise fault(400, "MalformedQueryException", "filtered_query needs a query and a filter.")
        return _matches(order, inner) and _matches(order, condition)
    if kind in ("term_query", "term_filter"):
        fields = spec.get("fields") or [spec.get("field")]
        values = [str(v) for v in spec.get("values", [])]
        if spec.get("operator", "is") not in ("is", "one_of"):
            raise fault(
                400, "MalformedQueryException", f"operator {spec.get('operator')} is not supported here."
            )
        return any(str(_value(order, f)) in values for f in fields if f)
    if kind == "range_filter":
        actual = parse_iso(_value(order, str(spec.get("field"))))
        low, high = parse_iso(spec.get("from")), parse_iso(spec.get("to"))
        if actual is None:
            return False
        if low is not None and (actual < low or (actual == low and spec.get("from_inclusive") is False)):
            return False
        return not (
            high is not None and (actual > high or (actual == high and not spec.get("to_inclusive", True)))
        )
    raise fault(400, "MalformedQueryException", f"{kind} is not supported in the sandbox.")


@router.post(f"{OCAPI}/order_search", dependencies=[OcapiAuth])
async def order_search(request: Request, site: str, version: str, state: State) -> dict[str, Any]:
    body = await _json_object(request)
    query = body.get("query")
    if not isinstance(query, dict):
        raise fault(400, "MissingPropertyException", "The search needs a 'query'.")
    start, count = int(body.get("start", 0)), int(body.get("count", 25))
    if not 1 <= count <= 200 or start < 0:
        raise fault(400, "InvalidParameterException", "count must be 1..200 and start >= 0.")
    found = [
        order
        for (order_site, _), order in sorted(
            state.orders.items(), key=lambda item: str(item[1].get("creation_date"))
        )
        if order_site == site and _matches(order, query)
    ]
    page = found[start : start + count]
    return {
        "_v": "24.5",
        "_type": "order_search_result",
        "count": len(page),
        "hits": [{"_type": "order_search_hit", "data": copy.deepcopy(o), "relevance": 1.0} for o in page],
        "query": query,
        "start": start,
        "total": len(found),
    }


# ---- Service Cloud ------------------------------------------------------------------------------

_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<object>Case|CaseComment)\s+"
    r"WHERE\s+(?P<field>CaseNumber|ParentId)\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*$",
    re.IGNORECASE,
)


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@router.get(f"{SERVICE_CLOUD}/query", dependencies=[OrgAuth])
async def soql(version: str, q: str, state: State) -> dict[str, Any]:
    """`SELECT <fields> FROM Case WHERE CaseNumber = '…'` or `FROM CaseComment WHERE ParentId = '…'`."""
    parsed = _SOQL.match(q)
    if parsed is None:
        raise salesforce_error(400, "MALFORMED_QUERY", f"The sandbox cannot run this query: {q}")
    fields = [f.strip() for f in parsed["fields"].split(",") if f.strip()]
    value = _unescape(parsed["value"])
    if parsed["object"].lower() == "case":
        matching = [c for c in state.cases.values() if c.get("CaseNumber") == value][-1:]
        kind = "Case"
    else:
        matching = [c for c in state.comments if c.get("ParentId") == value]
        kind = "CaseComment"
    records = [
        {
            "attributes": {"type": kind, "url": f"/services/data/{version}/sobjects/{kind}/{r['Id']}"},
            **{f: r.get(f) for f in fields},
        }
        for r in matching
    ]
    return {"totalSize": len(records), "done": True, "records": records}


@router.post(f"{SERVICE_CLOUD}/sobjects/CaseComment", dependencies=[OrgAuth])
async def create_case_comment(request: Request, version: str, state: State) -> JSONResponse:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise salesforce_error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON.") from None
    parent = body.get("ParentId") if isinstance(body, dict) else None
    text = body.get("CommentBody") if isinstance(body, dict) else None
    if not isinstance(parent, str) or parent not in state.cases:
        raise salesforce_error(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id: ParentId")
    if not isinstance(text, str) or not text.strip():
        raise salesforce_error(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [CommentBody]")
    comment = {
        "Id": f"00a{uuid.uuid4().hex[:15]}",
        "ParentId": parent,
        "CommentBody": text,
        "IsPublished": bool(body.get("IsPublished", False)),
        "CreatedDate": _now(),
    }
    state.comments.append(comment)
    return JSONResponse({"id": comment["Id"], "success": True, "errors": []}, status_code=201)


# ---- seeding and inspection (sandbox only) ------------------------------------------------------


@router.put("/sandbox/sfcc/{site}/orders/{order_no}", tags=["sandbox"])
async def seed_order(site: str, order_no: str, request: Request, state: State) -> dict[str, Any]:
    """Body: an OCAPI order document. Replaces the document; notes (a sub-resource) are kept."""
    order = await _json_object(request)
    for key in (*SANDBOX_ONLY, "_v"):
        order.pop(key, None)
    order["order_no"] = order_no
    order.setdefault("status", "new")
    order.setdefault("creation_date", _now())
    if order["status"] not in ORDER_STATUSES:
        raise fault(400, "InvalidOrderStatusException", f"'{order['status']}' is not an order status.")
    state.orders[(site, order_no)] = order
    return {"site_id": site, "order_no": order_no, "status": order["status"]}


@router.get("/sandbox/sfcc/{site}/orders/{order_no}", tags=["sandbox"])
async def inspect_order(site: str, order_no: str, state: State) -> dict[str, Any]:
    """The order as stored, with the notes and the API writes (PATCH) it received, oldest first."""
    order = copy.deepcopy(_order(state, site, order_no))
    order["notes"] = copy.deepcopy(state.notes.get((site, order_no), []))
    order["api_writes"] = copy.deepcopy(state.api_writes.get((site, order_no), []))
    return order


@router.put("/sandbox/sfcc/{site}/baskets/{basket_id}", tags=["sandbox"])
async def seed_basket(site: str, basket_id: str, request: Request, state: State) -> dict[str, Any]:
    basket = await _json_object(request)
    basket["basket_id"] = basket_id
    basket.setdefault("currency", "USD")
    basket.setdefault("last_modified", _now())
    return seeded(state.baskets, (site, basket_id), basket)


@router.delete("/sandbox/sfcc/{site}/baskets/{basket_id}", tags=["sandbox"])
async def delete_basket(site: str, basket_id: str, state: State) -> dict[str, int]:
    """Forget the basket (as when it became an order): OCAPI answers 404 for it."""
    return forget(state.baskets, (site, basket_id))


@router.put("/sandbox/sfcc/{site}/products/{product_id}", tags=["sandbox"])
async def seed_product(site: str, product_id: str, request: Request, state: State) -> dict[str, Any]:
    """Body: an OCAPI product (`name`, `price`, `currency`, `primary_category_id`, `inventory {ats}`,
    `c_*`)."""
    product = await _json_object(request)
    product["id"] = product_id
    product.setdefault("name", product_id)
    return seeded(state.products, (site, product_id), product)


@router.put("/sandbox/sfcc/{site}/cases/{case_number}", tags=["sandbox"])
async def seed_case(site: str, case_number: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a Service Cloud Case record. Seeding a case number again updates that site's case."""
    record = await _json_object(request)
    record["CaseNumber"] = case_number
    existing = next(
        (
            i
            for i, c in state.cases.items()
            if c.get("CaseNumber") == case_number and state.case_sites.get(i) == site
        ),
        None,
    )
    record_id = existing or record.get("Id") or f"500{uuid.uuid4().hex[:15]}"
    record["Id"] = record_id
    state.cases.pop(record_id, None)  # re-inserted last: the newest case with this number wins lookups
    state.cases[record_id] = record
    state.case_sites[record_id] = site
    return copy.deepcopy(record)


@router.get("/sandbox/sfcc/{site}/case-comments", tags=["sandbox"])
async def case_comments(site: str, state: State) -> list[dict[str, Any]]:
    """Comments on this site's cases, oldest first, with the case number and order they concern."""
    listed = []
    for comment in state.comments:
        if state.case_sites.get(comment["ParentId"]) != site:
            continue
        case = state.cases.get(comment["ParentId"], {})
        listed.append(
            {
                **comment,
                "CaseNumber": case.get("CaseNumber"),
                "order_no": case.get("c_orderNo") or case.get("Order__c"),
            }
        )
    return listed


@router.put("/sandbox/sfcc/faults", tags=["sandbox"])
async def set_faults(request: Request, state: State) -> dict[str, int]:
    """Body: `[{"status": 503, "times": 2, "retry_after": 1, "path_contains": "/orders/"}]`: the next
    matching OCAPI or Service Cloud calls answer so. An empty list clears them."""
    try:
        state.faults = parse_faults(await request.body())
    except (ValueError, TypeError) as exc:
        raise fault(
            400, "MalformedDocumentException", f"faults must be a list of fault objects: {exc}"
        ) from None
    return {"faults": len(state.faults)}
