"""The sandbox's Account Manager and OCAPI Shop API, as the connector calls them.

- Account Manager: `POST /sfcc/oauth2/access_token` (client credentials, HTTP Basic; any client).
- OCAPI Shop API under `/s/{site}/dw/shop/{version}`: orders (GET, PATCH status), order notes (GET,
  POST), baskets, products (`expand=availability,prices`), `POST /order_search` (the query subset
  the connector sends: term/one_of on order fields, date ranges). Errors are OCAPI faults:
  `{"_v": "24.5", "fault": {"type": "OrderNotFoundException", "message": …}}`.
"""

from __future__ import annotations

import base64
import copy
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from connectors.sandbox.documents import stored
from connectors.sandbox.sfcc_state import OcapiAuth, State, fault, json_body, now, stored_order
from connectors.sfcc.status_map import ORDER_STATUSES
from connectors.wire import parse_iso

# Untagged: `sfcc_api.router` includes this and gives every route its "SFCC" tag.
router = APIRouter()

OCAPI = "/s/{site}/dw/shop/{version}"
TOKEN_TTL = 1799  # Account Manager's client-credentials tokens live 30 minutes


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
    return _ocapi_order(request, site, version, stored_order(state, site, order_no))


@router.patch(f"{OCAPI}/orders/{{order_no}}", dependencies=[OcapiAuth])
async def patch_order(
    request: Request, site: str, version: str, order_no: str, state: State
) -> dict[str, Any]:
    """The status and custom attributes can change; the rest of a placed order cannot."""
    order = stored_order(state, site, order_no)
    changes = await json_body(request)
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
    order["last_modified"] = now()
    state.api_writes.setdefault((site, order_no), []).append(
        {"method": "PATCH", "body": changes, "at": now()}
    )
    return _ocapi_order(request, site, version, order)


@router.get(f"{OCAPI}/orders/{{order_no}}/notes", dependencies=[OcapiAuth])
async def get_notes(site: str, version: str, order_no: str, state: State) -> dict[str, Any]:
    stored_order(state, site, order_no)
    notes = copy.deepcopy(state.notes.get((site, order_no), []))
    return {"_v": "24.5", "_type": "notes", "notes": notes}


@router.post(f"{OCAPI}/orders/{{order_no}}/notes", dependencies=[OcapiAuth])
async def add_note(request: Request, site: str, version: str, order_no: str, state: State) -> Response:
    stored_order(state, site, order_no)
    body = await json_body(request)
    subject, text = body.get("subject"), body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise fault(400, "MissingPropertyException", "The note needs a 'text'.")
    if not isinstance(subject, str) or not subject.strip():
        raise fault(400, "MissingPropertyException", "The note needs a 'subject'.")
    note = {
        "_type": "note",
        "id": uuid.uuid4().hex[:24],
        "created_by": "tidings (API client)",
        "creation_date": now(),
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
    body = await json_body(request)
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
