"""Sandbox-only routes that fill the BigCommerce V3 stand-in (`/sandbox/bigcommerce/...`): carts,
catalog products (with stock and price) and categories, as tests and the demo set the store up.
Missing fields get BigCommerce's defaults, so what the V3 reads answer looks like the real store's."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from connectors.sandbox.bigcommerce_catalog import BigCommerceCatalog, get_catalog
from connectors.sandbox.bigcommerce_v3 import apply_stock_and_price, json_number
from connectors.sandbox.bigcommerce_wire import json_object, record_id, redirect_urls
from connectors.sandbox.documents import forget, seeded
from connectors.sandbox.rejections import bigcommerce_error
from connectors.sandbox.state import utc_now

router = APIRouter(tags=["sandbox"])

Catalog = Annotated[BigCommerceCatalog, Depends(get_catalog)]

CART_ITEM_LISTS = ("physical_items", "digital_items", "gift_certificates", "custom_items")


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


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _required_name(body: dict[str, Any], what: str) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bigcommerce_error(400, f"a {what} needs a name")
    return name


@router.put("/sandbox/bigcommerce/{store_hash}/carts/{cart_id}")
async def seed_cart(store_hash: str, cart_id: str, request: Request, catalog: Catalog) -> dict[str, Any]:
    """Body: a V3 cart `data` object. Missing fields get BigCommerce's defaults (guest, USD, item
    ids, sale price = list price, `cart_amount` = the items' sum, times = now); `redirect_urls`
    are filled when absent, and left out when given as null (so only `POST .../redirect_urls`
    creates them). Replaces any cart already seeded under this id."""
    cart = await json_object(request)
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
                "extended_list_price", json_number(_amount(item["list_price"], "list_price") * quantity)
            )
            item.setdefault(
                "extended_sale_price", json_number(_amount(item["sale_price"], "sale_price") * quantity)
            )
            if item["parent_id"] is None:
                total += _amount(item["extended_sale_price"], "extended_sale_price")
    cart.setdefault("base_amount", json_number(total))
    cart.setdefault("discount_amount", 0)
    cart.setdefault("cart_amount", json_number(total))
    now = utc_now().isoformat(timespec="seconds")
    cart.setdefault("created_time", now)
    cart.setdefault("updated_time", now)
    if "redirect_urls" not in cart:
        cart["redirect_urls"] = redirect_urls(store_hash, cart_id)
    elif cart["redirect_urls"] is None:
        del cart["redirect_urls"]
    return seeded(catalog.carts, (store_hash, cart_id), cart)


@router.delete("/sandbox/bigcommerce/{store_hash}/carts/{cart_id}")
async def delete_cart(store_hash: str, cart_id: str, catalog: Catalog) -> dict[str, int]:
    """Forget the cart (as when it is deleted or converted): the REST API answers 404 for it."""
    return forget(catalog.carts, (store_hash, cart_id))


@router.put("/sandbox/bigcommerce/{store_hash}/products/{product_id}")
async def seed_product(
    store_hash: str, product_id: str, request: Request, catalog: Catalog
) -> dict[str, Any]:
    """Body: a V3 product `data` object with at least `name`; `categories` are category ids,
    `custom_fields` `{name, value}` pairs (a `replenish_days` field marks a consumable). Stock and
    price as BigCommerce holds them: `inventory_level`, `inventory_tracking` (none / product /
    variant; "none" by default, as a new product), `price`, `sale_price` (0 = no sale), and
    `calculated_price` following them. Without a `primary_image`, the thumbnail of `images` (or the
    first image) becomes it. Replaces any product seeded under this id; change stock or price later
    through `PUT /stores/{store_hash}/v3/catalog/products/{id}`, as a merchant would."""
    product = await json_object(request)
    name = _required_name(product, "product")
    product.setdefault("id", record_id(product_id))
    product.setdefault("type", "physical")
    product.setdefault("sku", "")
    product.setdefault("is_visible", True)
    product.setdefault("availability", "available")
    product.setdefault("custom_url", {"url": f"/{_slug(name)}/", "is_customized": False})
    try:
        apply_stock_and_price(product)
    except ValueError as exc:
        raise bigcommerce_error(400, str(exc)) from None
    categories = product.setdefault("categories", [])
    if not isinstance(categories, list):
        raise bigcommerce_error(400, "categories must be a list of category ids")
    fields = _objects(product.setdefault("custom_fields", []), "custom_fields")
    for number, custom in enumerate(fields, start=1):
        custom.setdefault("id", number)
    images = _objects(product.get("images", []), "images")
    if "primary_image" not in product and images:
        product["primary_image"] = next((i for i in images if i.get("is_thumbnail")), images[0])
    return seeded(catalog.products, (store_hash, product_id), product)


@router.put("/sandbox/bigcommerce/{store_hash}/categories/{category_id}")
async def seed_category(
    store_hash: str, category_id: str, request: Request, catalog: Catalog
) -> dict[str, Any]:
    """Body: a V3 category `data` object with at least `name`."""
    category = await json_object(request)
    name = _required_name(category, "category")
    category.setdefault("id", record_id(category_id))
    category.setdefault("parent_id", 0)
    category.setdefault("is_visible", True)
    category.setdefault("custom_url", {"url": f"/{_slug(name)}/", "is_customized": False})
    return seeded(catalog.categories, (store_hash, category_id), category)


@router.put("/sandbox/bigcommerce/{store_hash}/brands/{brand_id}")
async def seed_brand(store_hash: str, brand_id: str, request: Request, catalog: Catalog) -> dict[str, Any]:
    """Body: a V3 brand `data` object with at least `name`; products join it by `brand_id`."""
    brand = await json_object(request)
    _required_name(brand, "brand")
    brand.setdefault("id", record_id(brand_id))
    return seeded(catalog.brands, (store_hash, brand_id), brand)
