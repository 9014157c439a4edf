"""The sandbox's BigCommerce V3 reads and writes: carts (with their redirect URLs), catalog products
and categories. Answers are `{"data": ..., "meta": {...}}`; the data is what
`bigcommerce_seeding` put into the `BigCommerceCatalog`.

A product's stock and price change through `PUT .../v3/catalog/products/{id}`, as a merchant's tool
would change them, with BigCommerce's rules: `inventory_level` a whole number of at least 0,
`inventory_tracking` one of none / product / variant, prices not negative, and `calculated_price`
(what a shopper pays) following `price` and `sale_price`.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.bigcommerce_catalog import BigCommerceCatalog, get_catalog
from connectors.sandbox.bigcommerce_wire import V3Auth, json_object, redirect_urls, v3_error
from connectors.sandbox.documents import stored

router = APIRouter(tags=["BigCommerce"])

Catalog = Annotated[BigCommerceCatalog, Depends(get_catalog)]

V3_DEFAULT_LIMIT = 50
V3_MAX_LIMIT = 250
PRODUCT_SUB_RESOURCES = ("custom_fields", "primary_image", "images")
INVENTORY_TRACKING = ("none", "product", "variant")
PRICES = ("price", "sale_price", "retail_price", "cost_price")


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


# ---- carts --------------------------------------------------------------------------------------


def _cart(catalog: BigCommerceCatalog, store_hash: str, cart_id: str) -> dict[str, Any]:
    return stored(catalog.carts, (store_hash, cart_id), lambda: v3_error(404, "Cart not found"))


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
    cart["redirect_urls"] = redirect_urls(store_hash, cart_id)
    return JSONResponse({"data": copy.deepcopy(cart["redirect_urls"]), "meta": {}}, status_code=201)


# ---- catalog ------------------------------------------------------------------------------------


def _product_view(product: dict[str, Any], included: set[str]) -> dict[str, Any]:
    """Sub-resources (`custom_fields`, `primary_image`, `images`) only when `include` names them."""
    return copy.deepcopy(
        {k: v for k, v in product.items() if k not in PRODUCT_SUB_RESOURCES or k in included}
    )


@router.get("/stores/{store_hash}/v3/catalog/products", dependencies=[V3Auth])
async def list_products(
    store_hash: str,
    catalog: Catalog,
    ids: Annotated[str | None, Query(alias="id:in")] = None,
    include: str | None = None,
    limit: int = V3_DEFAULT_LIMIT,
    page: int = 1,
) -> JSONResponse:
    wanted, included = _wanted_ids(ids), _includes(include)
    products = [
        _product_view(product, included)
        for (store, product_id), product in catalog.products.items()
        if store == store_hash and (wanted is None or product_id in wanted)
    ]
    return _v3_page(products, limit, page)


def _product(catalog: BigCommerceCatalog, store_hash: str, product_id: str) -> dict[str, Any]:
    return stored(
        catalog.products, (store_hash, product_id), lambda: v3_error(404, "The product was not found.")
    )


@router.get("/stores/{store_hash}/v3/catalog/products/{product_id}", dependencies=[V3Auth])
async def get_product(
    store_hash: str, product_id: str, catalog: Catalog, include: str | None = None
) -> JSONResponse:
    product = _product(catalog, store_hash, product_id)
    return JSONResponse({"data": _product_view(product, _includes(include)), "meta": {}})


@router.put("/stores/{store_hash}/v3/catalog/products/{product_id}", dependencies=[V3Auth])
async def update_product(
    store_hash: str, product_id: str, request: Request, catalog: Catalog
) -> JSONResponse:
    """Change the fields given (stock, price, name …); nothing is applied when one is invalid."""
    product = _product(catalog, store_hash, product_id)
    changes = await json_object(request)
    changes.pop("id", None)  # the id is not writable
    updated = {**copy.deepcopy(product), **changes}
    if "calculated_price" not in changes:
        updated.pop("calculated_price", None)  # derived again from the prices
    try:
        apply_stock_and_price(updated)
    except ValueError as exc:
        raise v3_error(422, str(exc)) from None
    product.clear()
    product.update(updated)
    return JSONResponse({"data": _product_view(product, set()), "meta": {}})


def apply_stock_and_price(product: dict[str, Any]) -> None:
    """Fill BigCommerce's defaults for stock and price and check them; ValueError names the bad field."""
    product.setdefault("inventory_level", 0)
    product.setdefault("inventory_warning_level", 0)
    product.setdefault("inventory_tracking", "none")
    level = product["inventory_level"]
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise ValueError("inventory_level must be a whole number of at least 0")
    if product["inventory_tracking"] not in INVENTORY_TRACKING:
        raise ValueError(f"inventory_tracking must be one of {', '.join(INVENTORY_TRACKING)}")
    for name in PRICES:
        product.setdefault(name, 0)
        if _price(product[name], name) < 0:
            raise ValueError(f"{name} must not be negative")
    price, sale = _price(product["price"], "price"), _price(product["sale_price"], "sale_price")
    product.setdefault("calculated_price", json_number(sale if sale > 0 else price))


def _price(value: Any, name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number") from None
    if not amount.is_finite():
        raise ValueError(f"{name} must be a number")
    return amount


def json_number(value: Decimal) -> int | float:
    # V3 amounts are JSON numbers.
    return int(value) if value == value.to_integral_value() else float(value)


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


@router.get("/stores/{store_hash}/v3/catalog/brands", dependencies=[V3Auth])
async def list_brands(
    store_hash: str,
    catalog: Catalog,
    ids: Annotated[str | None, Query(alias="id:in")] = None,
    limit: int = V3_DEFAULT_LIMIT,
    page: int = 1,
) -> JSONResponse:
    wanted = _wanted_ids(ids)
    brands = [
        brand
        for (store, brand_id), brand in catalog.brands.items()
        if store == store_hash and (wanted is None or brand_id in wanted)
    ]
    return _v3_page(brands, limit, page)
