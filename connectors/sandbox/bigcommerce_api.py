"""The sandbox's imitation of the BigCommerce REST reads and writes the connector uses, plus the
seeding endpoints tests and the demo fill it with (`/sandbox/bigcommerce/...`).

V2 (orders): errors are a list of `{status, message}`; an empty collection is 204.
V3 (customers, carts, catalog): answers are `{"data": ..., "meta": {...}}`, errors one object
`{status, title, type, errors}`. Carts, products and categories live in `bigcommerce_catalog`.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from connectors.bigcommerce.status_map import STATUS_NAMES
from connectors.sandbox.bigcommerce_catalog import BigCommerceCatalog, get_catalog
from connectors.sandbox.rejections import Reject, bigcommerce_error
from connectors.sandbox.state import SandboxState, SeededOrder, get_state, utc_now

router = APIRouter(tags=["BigCommerce"])

State = Annotated[SandboxState, Depends(get_state)]
Catalog = Annotated[BigCommerceCatalog, Depends(get_catalog)]

NOT_FOUND = "The requested resource was not found."

# A status_id written through the API also updates `status`, as the real store does: the names
# come from the connector's table (STATUS_NAMES), one source for both sides.

SUB_RESOURCES = ("products", "shipments", "shipping_addresses")


def _status_name(status_id: Any) -> str:
    if isinstance(status_id, bool):
        return "Unknown"
    try:
        return STATUS_NAMES.get(int(status_id), "Unknown")
    except (TypeError, ValueError):
        return "Unknown"


def require_store_token(request: Request) -> None:
    """Any non-empty X-Auth-Token opens any store: the sandbox checks presence, not identity."""
    if not request.headers.get("X-Auth-Token", "").strip():
        raise bigcommerce_error(401, "You must provide a valid X-Auth-Token header.")


StoreAuth = Depends(require_store_token)


def _rfc2822_now() -> str:
    # V2 resources carry RFC 2822 dates ("Tue, 05 Mar 2024 10:00:00 +0000").
    return format_datetime(utc_now())


def _id(value: str) -> int | str:
    return int(value) if value.isdigit() else value


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


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bigcommerce_error(400, f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise bigcommerce_error(400, "The request body must be a JSON object.")
    return body


# ---- REST API -----------------------------------------------------------------------------------


@router.get("/stores/{store_hash}/v2/orders/{order_id}", dependencies=[StoreAuth])
async def get_order(store_hash: str, order_id: str, request: Request, state: State) -> dict[str, Any]:
    seeded = _seeded(state, store_hash, order_id)
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
    changes = await _json_object(request)
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
    seeded.order["date_modified"] = _rfc2822_now()
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
            "id": _id(customer_id),
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
            {"status": 401, "title": "You must provide a valid X-Auth-Token header.", "errors": {}},
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


# ---- V3: carts and catalog ----------------------------------------------------------------------

V3_ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
V3_DEFAULT_LIMIT = 50
V3_MAX_LIMIT = 250
CART_ITEM_LISTS = ("physical_items", "digital_items", "gift_certificates", "custom_items")


def v3_error(status: int, title: str) -> Reject:
    """BigCommerce's V3 error: one object, not V2's list."""
    body = {"status": status, "title": title, "type": V3_ERROR_TYPE, "errors": {}}
    return Reject(JSONResponse(body, status_code=status))


def require_v3_token(request: Request) -> None:
    if not request.headers.get("X-Auth-Token", "").strip():
        raise v3_error(401, "You must provide a valid X-Auth-Token header.")


V3Auth = Depends(require_v3_token)


def _includes(include: str | None) -> set[str]:
    return {part.strip() for part in (include or "").split(",") if part.strip()}


def _wanted_ids(ids: str | None) -> set[str] | None:
    return None if ids is None else {i.strip() for i in ids.split(",") if i.strip()}


def _sort_key(item: dict[str, Any]) -> tuple[int, int | str]:
    # Collections come sorted by id; numeric ids numerically.
    value = item.get("id")
    return (0, value) if isinstance(value, int) and not isinstance(value, bool) else (1, str(value))


def _v3_page(items: list[dict[str, Any]], limit: int, page: int) -> JSONResponse:
    """One page of a V3 collection with BigCommerce's pagination meta."""
    if not 1 <= limit <= V3_MAX_LIMIT or page < 1:
        raise v3_error(422, "The limit or page is not valid.")
    items = sorted(items, key=_sort_key)
    chunk = items[(page - 1) * limit : page * limit]
    pagination = {
        "total": len(items),
        "count": len(chunk),
        "per_page": limit,
        "current_page": page,
        "total_pages": max(1, -(-len(items) // limit)),
    }
    return JSONResponse({"data": copy.deepcopy(chunk), "meta": {"pagination": pagination}})


def _redirect_urls(store_hash: str, cart_id: str) -> dict[str, str]:
    root = f"https://{store_hash}.example/cart.php"
    return {
        "cart_url": f"{root}?action=load&id={cart_id}",
        "checkout_url": f"{root}?action=loadInCheckout&id={cart_id}",
        "embedded_checkout_url": f"{root}?embedded=1&action=loadInCheckout&id={cart_id}",
    }


def _cart(catalog: BigCommerceCatalog, store_hash: str, cart_id: str) -> dict[str, Any]:
    cart = catalog.carts.get((store_hash, cart_id))
    if cart is None:
        raise v3_error(404, "Cart not found")
    return cart


@router.get("/stores/{store_hash}/v3/carts/{cart_id}", dependencies=[V3Auth])
async def get_cart(
    store_hash: str, cart_id: str, catalog: Catalog, include: str | None = None
) -> JSONResponse:
    """As the real API: `redirect_urls` and the items' `options` only when `include` asks."""
    cart = copy.deepcopy(_cart(catalog, store_hash, cart_id))
    wanted = _includes(include)
    if "redirect_urls" not in wanted:
        cart.pop("redirect_urls", None)
    for name in ("physical_items", "digital_items"):
        if f"line_items.{name}.options" not in wanted:
            for item in cart["line_items"].get(name, []):
                item.pop("options", None)
    return JSONResponse({"data": cart, "meta": {}})


@router.post("/stores/{store_hash}/v3/carts/{cart_id}/redirect_urls", dependencies=[V3Auth])
async def create_cart_redirect_urls(store_hash: str, cart_id: str, catalog: Catalog) -> JSONResponse:
    cart = _cart(catalog, store_hash, cart_id)
    cart["redirect_urls"] = _redirect_urls(store_hash, cart_id)
    return JSONResponse({"data": copy.deepcopy(cart["redirect_urls"]), "meta": {}}, status_code=201)


@router.get("/stores/{store_hash}/v3/catalog/products", dependencies=[V3Auth])
async def list_products(
    store_hash: str,
    catalog: Catalog,
    ids: Annotated[str | None, Query(alias="id:in")] = None,
    include: str | None = None,
    limit: int = V3_DEFAULT_LIMIT,
    page: int = 1,
) -> JSONResponse:
    """Sub-resources (`custom_fields`, `primary_image`, `images`) only when `include` names them."""
    wanted, included = _wanted_ids(ids), _includes(include)
    products = []
    for (store, product_id), product in catalog.products.items():
        if store != store_hash or (wanted is not None and product_id not in wanted):
            continue
        view = {
            key: value
            for key, value in product.items()
            if key not in ("custom_fields", "primary_image", "images") or key in included
        }
        products.append(view)
    return _v3_page(products, limit, page)


@router.get("/stores/{store_hash}/v3/catalog/categories", dependencies=[V3Auth])
async def list_categories(
    store_hash: str,
    catalog: Catalog,
    ids: Annotated[str | None, Query(alias="id:in")] = None,
    limit: int = V3_DEFAULT_LIMIT,
    page: int = 1,
) -> JSONResponse:
    wanted = _wanted_ids(ids)
    categories = [
        category
        for (store, category_id), category in catalog.categories.items()
        if store == store_hash and (wanted is None or category_id in wanted)
    ]
    return _v3_page(categories, limit, page)


# ---- seeding (sandbox only) ---------------------------------------------------------------------


@router.put("/sandbox/bigcommerce/{store_hash}/orders/{order_id}", tags=["sandbox"])
async def seed_order(store_hash: str, order_id: str, request: Request, state: State) -> dict[str, Any]:
    """Body: a V2 order JSON plus optional `products`, `shipments`, `shipping_addresses` lists.
    Replaces any order already seeded under this id."""
    body = await _json_object(request)
    lists: dict[str, list[dict[str, Any]]] = {}
    for name in SUB_RESOURCES:
        value = body.pop(name, None) or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise bigcommerce_error(400, f"{name} must be a list of objects")
        lists[name] = value
    body.setdefault("id", _id(order_id))
    if "status_id" in body:
        body.setdefault("status", _status_name(body["status_id"]))
    body.setdefault("date_created", _rfc2822_now())
    state.orders[(store_hash, order_id)] = SeededOrder(order=body, **lists)
    return {"store_hash": store_hash, "order_id": order_id, **{k: len(v) for k, v in lists.items()}}


@router.post("/sandbox/bigcommerce/{store_hash}/orders/{order_id}/shipments", tags=["sandbox"])
async def seed_shipment(store_hash: str, order_id: str, request: Request, state: State) -> JSONResponse:
    """Append a shipment (as when the merchant ships); ids are numbered per store like BigCommerce's."""
    seeded = _seeded(state, store_hash, order_id)
    shipment = await _json_object(request)
    taken = [
        int(s["id"])
        for (store, _), other in state.orders.items()
        if store == store_hash
        for s in other.shipments
        if str(s.get("id", "")).isdigit()
    ]
    shipment.setdefault("id", max(taken, default=0) + 1)
    shipment.setdefault("order_id", _id(order_id))
    shipment.setdefault("date_created", _rfc2822_now())
    seeded.shipments.append(shipment)
    return JSONResponse(copy.deepcopy(shipment), status_code=201)


@router.put("/sandbox/bigcommerce/{store_hash}/customers/{customer_id}", tags=["sandbox"])
async def seed_customer(
    store_hash: str, customer_id: str, state: State, customer: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Seed a V3 customer explicitly (otherwise customers are derived from seeded orders)."""
    customer.setdefault("id", _id(customer_id))
    state.customers[(store_hash, customer_id)] = customer
    return customer


def _objects(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise bigcommerce_error(400, f"{name} must be a list of objects")
    return value


def _amount(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise bigcommerce_error(400, f"{name} must be a number") from None
    if not amount.is_finite():
        raise bigcommerce_error(400, f"{name} must be a number")
    return amount


def _number(value: Decimal) -> int | float:
    # V3 amounts are JSON numbers.
    return int(value) if value == value.to_integral_value() else float(value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _required_name(body: dict[str, Any], what: str) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bigcommerce_error(400, f"a {what} needs a name")
    return name


@router.put("/sandbox/bigcommerce/{store_hash}/carts/{cart_id}", tags=["sandbox"])
async def seed_cart(store_hash: str, cart_id: str, request: Request, catalog: Catalog) -> dict[str, Any]:
    """Body: a V3 cart `data` object. Missing fields get BigCommerce's defaults (guest, USD, item
    ids, sale price = list price, `cart_amount` = the items' sum, times = now); `redirect_urls`
    are filled when absent, and left out when given as null (so only `POST .../redirect_urls`
    creates them). Replaces any cart already seeded under this id."""
    cart = await _json_object(request)
    cart.setdefault("id", cart_id)
    cart.setdefault("customer_id", 0)
    cart.setdefault("email", "")
    cart.setdefault("channel_id", 1)
    cart.setdefault("currency", {"code": "USD"})
    cart.setdefault("tax_included", False)
    cart.setdefault("locale", "en")
    line_items = cart.setdefault("line_items", {})
    if not isinstance(line_items, dict):
        raise bigcommerce_error(400, "line_items must be an object")
    total = Decimal(0)
    for name in CART_ITEM_LISTS:
        for item in _objects(line_items.setdefault(name, []), f"line_items.{name}"):
            if name == "gift_certificates":
                total += _amount(item.get("amount", 0), "amount")
                continue
            item.setdefault("id", str(uuid.uuid4()))
            item.setdefault("parent_id", None)
            item.setdefault("quantity", 1)
            item.setdefault("list_price", 0)
            item.setdefault("sale_price", item["list_price"])
            quantity = _amount(item["quantity"], "quantity")
            item.setdefault(
                "extended_list_price", _number(_amount(item["list_price"], "list_price") * quantity)
            )
            item.setdefault(
                "extended_sale_price", _number(_amount(item["sale_price"], "sale_price") * quantity)
            )
            if item["parent_id"] is None:
                total += _amount(item["extended_sale_price"], "extended_sale_price")
    cart.setdefault("base_amount", _number(total))
    cart.setdefault("discount_amount", 0)
    cart.setdefault("cart_amount", _number(total))
    now = utc_now().isoformat(timespec="seconds")
    cart.setdefault("created_time", now)
    cart.setdefault("updated_time", now)
    if "redirect_urls" not in cart:
        cart["redirect_urls"] = _redirect_urls(store_hash, cart_id)
    elif cart["redirect_urls"] is None:
        del cart["redirect_urls"]
    catalog.carts[(store_hash, cart_id)] = cart
    return copy.deepcopy(cart)


@router.delete("/sandbox/bigcommerce/{store_hash}/carts/{cart_id}", tags=["sandbox"])
async def delete_cart(store_hash: str, cart_id: str, catalog: Catalog) -> dict[str, int]:
    """Forget the cart (as when it is deleted or converted): the REST API answers 404 for it."""
    return {"deleted": 1 if catalog.carts.pop((store_hash, cart_id), None) is not None else 0}


@router.put("/sandbox/bigcommerce/{store_hash}/products/{product_id}", tags=["sandbox"])
async def seed_product(
    store_hash: str, product_id: str, request: Request, catalog: Catalog
) -> dict[str, Any]:
    """Body: a V3 product `data` object with at least `name`; `categories` are category ids,
    `custom_fields` `{name, value}` pairs (a `replenish_days` field marks a consumable). Without a
    `primary_image`, the thumbnail of `images` (or the first image) becomes it."""
    product = await _json_object(request)
    name = _required_name(product, "product")
    product.setdefault("id", _id(product_id))
    product.setdefault("type", "physical")
    product.setdefault("sku", "")
    product.setdefault("price", 0)
    product.setdefault("is_visible", True)
    product.setdefault("custom_url", {"url": f"/{_slug(name)}/", "is_customized": False})
    categories = product.setdefault("categories", [])
    if not isinstance(categories, list):
        raise bigcommerce_error(400, "categories must be a list of category ids")
    fields = _objects(product.setdefault("custom_fields", []), "custom_fields")
    for number, custom in enumerate(fields, start=1):
        custom.setdefault("id", number)
    images = _objects(product.get("images", []), "images")
    if "primary_image" not in product and images:
        product["primary_image"] = next((i for i in images if i.get("is_thumbnail")), images[0])
    catalog.products[(store_hash, product_id)] = product
    return copy.deepcopy(product)


@router.put("/sandbox/bigcommerce/{store_hash}/categories/{category_id}", tags=["sandbox"])
async def seed_category(
    store_hash: str, category_id: str, request: Request, catalog: Catalog
) -> dict[str, Any]:
    """Body: a V3 category `data` object with at least `name`."""
    category = await _json_object(request)
    name = _required_name(category, "category")
    category.setdefault("id", _id(category_id))
    category.setdefault("parent_id", 0)
    category.setdefault("is_visible", True)
    category.setdefault("custom_url", {"url": f"/{_slug(name)}/", "is_customized": False})
    catalog.categories[(store_hash, category_id)] = category
    return copy.deepcopy(category)


@router.get("/sandbox/bigcommerce/writes", tags=["sandbox"])
async def list_writes(state: State) -> list[dict[str, Any]]:
    """Every write the connector made through the REST API, oldest first."""
    return state.writes
