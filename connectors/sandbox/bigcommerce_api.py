"""The sandbox's imitation of the BigCommerce V2 orders and V3 customers the connector reads and
writes, plus the seeding endpoints for them (`/sandbox/bigcommerce/...`). This module's router also
carries the V3 carts and catalog (`bigcommerce_v3`) and their seeding (`bigcommerce_seeding`), so the
app includes one BigCommerce router.

V2 (orders): errors are a list of `{status, message}`; an empty collection is 204.
V3 (customers, carts, catalog): answers are `{"data": ..., "meta": {...}}`, errors one object
`{status, title, type, errors}`.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from connectors.bigcommerce.shapes import rfc2822
from connectors.bigcommerce.status_map import STATUS_NAMES
from connectors.sandbox import bigcommerce_seeding, bigcommerce_v3
from connectors.sandbox.bigcommerce_wire import (
    NOT_FOUND,
    TOKEN_MISSING,
    StoreAuth,
    json_object,
    record_id,
    rfc2822_now,
)
from connectors.sandbox.rejections import bigcommerce_error
from connectors.sandbox.state import SandboxState, SeededOrder, get_state, utc_now
from connectors.wire import parse_iso

router = APIRouter(tags=["BigCommerce"])

State = Annotated[SandboxState, Depends(get_state)]

# A status_id written through the API also updates `status`, as the real store does: the names
# come from the connector's table (STATUS_NAMES), one source for both sides.

SUB_RESOURCES = ("products", "shipments", "shipping_addresses")
V2_DEFAULT_LIMIT = 50
V2_MAX_LIMIT = 250


def _status_name(status_id: Any) -> str:
    if isinstance(status_id, bool):
        return "Unknown"
    try:
        return STATUS_NAMES.get(int(status_id), "Unknown")
    except (TypeError, ValueError):
        return "Unknown"


def _seeded(state: SandboxState, store_hash: str, order_id: str) -> SeededOrder:
    seeded = state.order(store_hash, order_id)
    if seeded is None:
        raise bigcommerce_error(404, NOT_FOUND)
    return seeded


def _list_or_204(items: list[dict[str, Any]]) -> Response:
    # BigCommerce's V2 API answers an empty collection with 204 and no body.
    if not items:
        return Response(status_code=204)
    return JSONResponse(copy.deepcopy(items))


# ---- REST API -----------------------------------------------------------------------------------


def _order_view(request: Request, store_hash: str, order_id: str, seeded: SeededOrder) -> dict[str, Any]:
    order = copy.deepcopy(seeded.order)
    order.setdefault("shipping_address_count", len(seeded.shipping_addresses))
    # The real V2 order links its sub-resources instead of embedding them.
    api_root = f"{str(request.base_url).rstrip('/')}/stores/{store_hash}/v2"
    for name in SUB_RESOURCES:
        if name != "shipments":
            order.setdefault(
                name,
                {"url": f"{api_root}/orders/{order_id}/{name}", "resource": f"/orders/{order_id}/{name}"},
            )
    return order


def _parse_date(value: str) -> datetime | None:
    """A V2 date: RFC 2822 ("Tue, 05 Mar 2024 10:00:00 +0000") or ISO 8601; UTC when no zone."""
    return rfc2822(value) or parse_iso(value)


def _date_filter(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        raise bigcommerce_error(400, f"The field '{name}' is invalid.")
    return parsed


def _id_order(order_id: str) -> tuple[int, int, str]:
    # Listings come oldest id first; numeric ids numerically.
    return (0, int(order_id), "") if order_id.isdigit() else (1, 0, order_id)


@router.get("/stores/{store_hash}/v2/orders", dependencies=[StoreAuth])
async def list_orders(
    store_hash: str,
    request: Request,
    state: State,
    min_date_created: str | None = None,
    max_date_created: str | None = None,
    customer_id: int | None = None,
    status_id: int | None = None,
    page: int = 1,
    limit: int = V2_DEFAULT_LIMIT,
) -> Response:
    """The store's orders, oldest id first, filtered and paged as V2 does; 204 when none (or past
    the last page)."""
    if page < 1 or not 1 <= limit <= V2_MAX_LIMIT:
        raise bigcommerce_error(400, "The field 'limit' or 'page' is invalid.")
    since = _date_filter(min_date_created, "min_date_created")
    until = _date_filter(max_date_created, "max_date_created")
    found: list[tuple[str, SeededOrder]] = []
    for (store, order_id), seeded in state.orders.items():
        order = seeded.order
        if store != store_hash:
            continue
        if customer_id is not None and str(order.get("customer_id") or 0) != str(customer_id):
            continue
        if status_id is not None and str(order.get("status_id")) != str(status_id):
            continue
        if since is not None or until is not None:
            # An order seeded without a readable date matches no date filter.
            created = _parse_date(str(order.get("date_created") or ""))
            if created is None or (since and created < since) or (until and created > until):
                continue
        found.append((order_id, seeded))
    found.sort(key=lambda item: _id_order(item[0]))
    chunk = found[(page - 1) * limit : page * limit]
    return _list_or_204([_order_view(request, store_hash, order_id, seeded) for order_id, seeded in chunk])


@router.get("/stores/{store_hash}/v2/orders/{order_id}", dependencies=[StoreAuth])
async def get_order(store_hash: str, order_id: str, request: Request, state: State) -> dict[str, Any]:
    return _order_view(request, store_hash, order_id, _seeded(state, store_hash, order_id))


@router.get("/stores/{store_hash}/v2/orders/{order_id}/products", dependencies=[StoreAuth])
async def get_order_products(store_hash: str, order_id: str, state: State) -> Response:
    return _list_or_204(_seeded(state, store_hash, order_id).products)


@router.get("/stores/{store_hash}/v2/orders/{order_id}/shipments", dependencies=[StoreAuth])
async def get_order_shipments(store_hash: str, order_id: str, state: State) -> Response:
    return _list_or_204(_seeded(state, store_hash, order_id).shipments)


@router.get("/stores/{store_hash}/v2/orders/{order_id}/shipping_addresses", dependencies=[StoreAuth])
async def get_order_shipping_addresses(store_hash: str, order_id: str, state: State) -> Response:
    return _list_or_204(_seeded(state, store_hash, order_id).shipping_addresses)


@router.put("/stores/{store_hash}/v2/orders/{order_id}", dependencies=[StoreAuth])
async def update_order(store_hash: str, order_id: str, request: Request, state: State) -> dict[str, Any]:
    seeded = _seeded(state, store_hash, order_id)
    changes = await json_object(request)
    if "status_id" in changes and _status_name(changes["status_id"]) == "Unknown":
        # As the real store: an unknown status is refused, and nothing else in the body is applied.
        raise bigcommerce_error(400, "The field 'status_id' is invalid.")
    for key, value in changes.items():
        if key in SUB_RESOURCES or key == "id":
            continue  # sub-resources and the id are not writable through this call here
        current = seeded.order.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            current.update(value)  # e.g. billing_address: patch the fields given
        else:
            seeded.order[key] = value
    if "status_id" in changes and "status" not in changes:
        seeded.order["status"] = _status_name(changes["status_id"])
    seeded.order["date_modified"] = rfc2822_now()
    state.writes.append(
        {
            "method": "PUT",
            "store_hash": store_hash,
            "order_id": order_id,
            "path": request.url.path,
            "body": changes,
            "at": utc_now().isoformat(),
        }
    )
    return copy.deepcopy(seeded.order)


def _customers_of(state: SandboxState, store_hash: str) -> dict[str, dict[str, Any]]:
    """Seeded customers, else derived from seeded orders' billing addresses (customer 0 is a guest)."""
    found: dict[str, dict[str, Any]] = {}
    for (store, _order_id), seeded in state.orders.items():
        customer_id = str(seeded.order.get("customer_id") or 0)
        if store != store_hash or customer_id == "0" or customer_id in found:
            continue
        billing = seeded.order.get("billing_address") or {}
        found[customer_id] = {
            "id": record_id(customer_id),
            "email": billing.get("email", ""),
            "first_name": billing.get("first_name", ""),
            "last_name": billing.get("last_name", ""),
            "company": billing.get("company", ""),
            "phone": billing.get("phone", ""),
            "customer_group_id": 0,
            "notes": "",
            "date_created": seeded.order.get("date_created"),
            "date_modified": seeded.order.get("date_modified") or seeded.order.get("date_created"),
            "accepts_product_review_abandoned_cart_emails": False,
            "origin_channel_id": 1,
        }
    for (store, customer_id), customer in state.customers.items():
        if store == store_hash:
            found[customer_id] = copy.deepcopy(customer)
    return found


@router.get("/stores/{store_hash}/v3/customers")
async def list_customers(
    store_hash: str,
    request: Request,
    state: State,
    ids: Annotated[str | None, Query(alias="id:in")] = None,
) -> JSONResponse:
    if not request.headers.get("X-Auth-Token", "").strip():
        # V3 answers errors as one object, not V2's list.
        return JSONResponse(
            {"status": 401, "title": TOKEN_MISSING, "errors": {}},
            status_code=401,
        )
    customers = _customers_of(state, store_hash)
    if ids is not None:
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        data = [customers[i] for i in wanted if i in customers]
    else:
        data = list(customers.values())
    pagination = {"total": len(data), "count": len(data), "per_page": 50, "current_page": 1, "total_pages": 1}
    return JSONResponse({"data": data, "meta": {"pagination": pagination}})


# ---- seeding (sandbox only) ---------------------------------------------------------------------


@router.put("/sandbox/bigcommerce/{store_hash}/orders/{order_id}", tags=["sandbox"])
async def seed_order(store_hash: str, order_id: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a V2 order JSON plus optional `products`, `shipments`, `shipping_addresses` lists.
    Replaces any order already seeded under this id."""
    body = await json_object(request)
    lists: dict[str, list[dict[str, Any]]] = {}
    for name in SUB_RESOURCES:
        value = body.pop(name, None) or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise bigcommerce_error(400, f"{name} must be a list of objects")
        lists[name] = value
    body.setdefault("id", record_id(order_id))
    if "status_id" in body:
        body.setdefault("status", _status_name(body["status_id"]))
    body.setdefault("date_created", rfc2822_now())
    state.orders[(store_hash, order_id)] = SeededOrder(order=body, **lists)
    return {"store_hash": store_hash, "order_id": order_id, **{k: len(v) for k, v in lists.items()}}


@router.post("/sandbox/bigcommerce/{store_hash}/orders/{order_id}/shipments", tags=["sandbox"])
async def seed_shipment(store_hash: str, order_id: str, request: Request, state: State) -> JSONResponse:
    """Append a shipment (as when the merchant ships); ids are numbered per store like BigCommerce's."""
    seeded = _seeded(state, store_hash, order_id)
    shipment = await json_object(request)
    taken = [
        int(s["id"])
        for (store, _), other in state.orders.items()
        if store == store_hash
        for s in other.shipments
        if str(s.get("id", "")).isdigit()
    ]
    shipment.setdefault("id", max(taken, default=0) + 1)
    shipment.setdefault("order_id", record_id(order_id))
    shipment.setdefault("date_created", rfc2822_now())
    seeded.shipments.append(shipment)
    return JSONResponse(copy.deepcopy(shipment), status_code=201)


@router.put("/sandbox/bigcommerce/{store_hash}/customers/{customer_id}", tags=["sandbox"])
async def seed_customer(
    store_hash: str, customer_id: str, state: State, customer: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Seed a V3 customer explicitly (otherwise customers are derived from seeded orders)."""
    customer.setdefault("id", record_id(customer_id))
    state.customers[(store_hash, customer_id)] = customer
    return customer


@router.get("/stores/{store_hash}/v2/customer_groups/{group_id}", dependencies=[StoreAuth])
async def get_customer_group(store_hash: str, group_id: str, state: State) -> dict[str, Any]:
    group = state.customer_groups.get((store_hash, group_id))
    if group is None:
        raise bigcommerce_error(404, NOT_FOUND)
    return copy.deepcopy(group)


@router.put("/sandbox/bigcommerce/{store_hash}/customer_groups/{group_id}", tags=["sandbox"])
async def seed_customer_group(
    store_hash: str, group_id: str, state: State, group: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Seed a customer group (`{"name": "VIP"}`); customers join it by `customer_group_id`."""
    group.setdefault("id", record_id(group_id))
    state.customer_groups[(store_hash, group_id)] = group
    return group


@router.get("/sandbox/bigcommerce/writes", tags=["sandbox"])
async def list_writes(state: State) -> list[dict[str, Any]]:
    """Every write the connector made through the REST API, oldest first."""
    return state.writes


router.include_router(bigcommerce_v3.router)
router.include_router(bigcommerce_seeding.router)
