"""BigCommerce REST reads (and the few writes) that hydration and callbacks need: BigCommerce's
implementation of `connectors.platform.CommercePlatformClient`.

Webhooks are thin, so everything a message needs is read here and mapped onto `OrderSnapshot`,
`CartSnapshot` and `ProductInfo`; stock and recent purchases are read for the product journeys.
Writes go to the V2 order: its status and the staff notes, which are appended to (never
overwritten). The `httpx.AsyncClient` is shared per worker and passed in; so is the per-store token
lookup.

The "sku" Tidings keys product journeys by is, for BigCommerce, the product id as a string: the
inventory and product webhooks carry product ids, not SKU codes (see `webhooks.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx

from connectors.bigcommerce.customers import customer_groups, fetch_customer
from connectors.bigcommerce.shapes import (
    PROVIDER,
    BcCart,
    BcCatalogProduct,
    BcCategory,
    BcCustomer,
    BcOrderLineRef,
    BcOrderSummary,
    BcProductStock,
    BcRedirectUrls,
    cart_snapshot,
    id_or_none,
    invalid,
    order_snapshot,
    product_info,
)
from connectors.bigcommerce.status_map import STATUS_NAMES
from connectors.errors import ProviderError, kind_prefix, raise_for_provider_status, transport_error
from connectors.http_errors import configured, json_answer, not_found, parse_answer
from connectors.wire import Wire, aware
from domain.events import Platform
from domain.notifications import (
    CartSnapshot,
    OrderSnapshot,
    ProductInfo,
    Recipient,
)

PAGE_SIZE = 250  # V2 sub-resources default to 50 per page; 250 is the maximum
MAX_PAGES = 40  # a guard against a server that ignores `page`: 10 000 lines is plenty
# V3 collections answer 50 items per page by default, so an `id:in` filter of at most 50 ids is one
# page; longer id lists are split.
ID_FILTER_CHUNK = 50
CART_INCLUDE = "redirect_urls,line_items.physical_items.options"
PRODUCT_INCLUDE = "custom_fields,primary_image"
CANCELLED = 5
# Orders that were never a purchase: checkout abandoned before payment, cancelled, payment declined.
NOT_PURCHASED = frozenset({0, CANCELLED, 6})
ORDER_READS_AT_ONCE = 4  # order-product reads in flight for `purchased_since`: gentle on the rate limit


_WireModel = TypeVar("_WireModel", bound=Wire)


class BigCommerceClient:
    """Reads orders, carts, customers and catalog products from a store's V2/V3 REST API with its
    `X-Auth-Token`, and writes order status and staff notes."""

    platform: Platform = Platform.BIGCOMMERCE

    def __init__(self, http: httpx.AsyncClient, api_url: str, token_for: Callable[[str], str]) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._token_for = token_for

    async def fetch_order_snapshot(self, store_hash: str, order_id: str) -> OrderSnapshot:
        """Order + products + shipments + shipping addresses, mapped onto an `OrderSnapshot`."""
        # Four independent reads, run together (see `_together`).
        order = asyncio.ensure_future(self.get_order(store_hash, order_id))
        products = asyncio.ensure_future(self.get_order_products(store_hash, order_id))
        shipments = asyncio.ensure_future(self.get_order_shipments(store_hash, order_id))
        addresses = asyncio.ensure_future(self.get_order_shipping_addresses(store_hash, order_id))
        await _together((order, products, shipments, addresses))
        buyer = _parse(BcOrderSummary, order.result(), "order").customer_id
        groups = await customer_groups(self, store_hash, str(buyer)) if buyer > 0 else []
        return order_snapshot(
            store_hash, order.result(), products.result(), shipments.result(), addresses.result(), groups
        )

    async def get_order(self, store_hash: str, order_id: str) -> dict[str, Any]:
        body = await self._request("GET", store_hash, f"/v2/orders/{_segment(order_id)}")
        if not isinstance(body, dict):
            raise invalid(f"order {order_id} is not a JSON object")
        return body

    async def get_order_products(self, store_hash: str, order_id: str) -> list[dict[str, Any]]:
        return await self._list(store_hash, f"/v2/orders/{_segment(order_id)}/products")

    async def get_order_shipments(self, store_hash: str, order_id: str) -> list[dict[str, Any]]:
        return await self._list(store_hash, f"/v2/orders/{_segment(order_id)}/shipments")

    async def get_order_shipping_addresses(self, store_hash: str, order_id: str) -> list[dict[str, Any]]:
        return await self._list(store_hash, f"/v2/orders/{_segment(order_id)}/shipping_addresses")

    async def get_customer(self, store_hash: str, customer_id: str) -> dict[str, Any] | None:
        """The V3 customer, or None when the store has no such customer."""
        # The colon stays literal: `id:in` is BigCommerce's filter syntax.
        body = await self._request("GET", store_hash, f"/v3/customers?id:in={_segment(customer_id)}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise invalid("customers response has no data list")
        return data[0] if data and isinstance(data[0], dict) else None

    async def get_customer_group(self, store_hash: str, group_id: str) -> dict[str, Any] | None:
        body = await self._request("GET", store_hash, f"/v2/customer_groups/{_segment(group_id)}")
        return body if isinstance(body, dict) else None

    async def fetch_customer(self, store_hash: str, customer_id: str) -> Recipient | None:
        """Who a customer webhook (`{id}` only) is about: the V3 customer's name and addresses."""
        return await fetch_customer(self, store_hash, customer_id)

    async def fetch_cart_snapshot(self, store_hash: str, cart_id: str) -> CartSnapshot:
        """The V3 cart with its lines, checkout link and shopper, mapped onto a `CartSnapshot`.

        The checkout link comes with the cart (`include=redirect_urls`); when it does not, it is
        created (`POST .../redirect_urls`). A registered shopper is read from `/v3/customers`; a
        guest is known only by the cart's email, if any. An unknown cart raises the permanent
        `BigCommerceNotFound`."""
        cart = _parse(BcCart, await self.get_cart(store_hash, cart_id), "cart")
        customer: asyncio.Future[dict[str, Any] | None] | None = None
        redirect: asyncio.Future[dict[str, Any]] | None = None
        tasks: list[asyncio.Future[Any]] = []
        if cart.customer_id > 0:
            customer = asyncio.ensure_future(self.get_customer(store_hash, str(cart.customer_id)))
            tasks.append(customer)
        if cart.redirect_urls is None or cart.redirect_urls.checkout_url is None:
            redirect = asyncio.ensure_future(self.create_cart_redirect_urls(store_hash, cart_id))
            tasks.append(redirect)
        await _together(tasks)

        checkout_url = cart.redirect_urls.checkout_url if cart.redirect_urls else None
        if redirect is not None:
            checkout_url = _parse(BcRedirectUrls, redirect.result(), "redirect_urls").checkout_url
        account = customer.result() if customer is not None else None
        return cart_snapshot(
            store_hash,
            cart,
            _parse(BcCustomer, account, "customer") if account is not None else None,
            checkout_url,
        )

    async def get_cart(self, store_hash: str, cart_id: str) -> dict[str, Any]:
        """The V3 cart's `data` object, with its redirect URLs and physical items' options."""
        path = f"/v3/carts/{_segment(cart_id)}?include={CART_INCLUDE}"
        return _data_object(await self._request("GET", store_hash, path), "cart")

    async def create_cart_redirect_urls(self, store_hash: str, cart_id: str) -> dict[str, Any]:
        """New `cart_url` / `checkout_url` / `embedded_checkout_url` for the cart."""
        body = await self._request("POST", store_hash, f"/v3/carts/{_segment(cart_id)}/redirect_urls")
        return _data_object(body, "redirect_urls")

    async def fetch_products(self, store_hash: str, product_ids: list[str]) -> list[ProductInfo]:
        """Catalog facts for these products, in the order asked; products the catalog no longer
        has are left out. Category ids are resolved to names; `replenish_days` comes from the
        product custom field of that name when it holds a positive integer."""
        wanted = list(dict.fromkeys(str(i).strip() for i in product_ids if str(i).strip()))
        if not wanted:
            return []
        raw = await self._by_ids(store_hash, "/v3/catalog/products", wanted, f"&include={PRODUCT_INCLUDE}")
        products = {
            str(product.id): product for product in (_parse(BcCatalogProduct, p, "product") for p in raw)
        }
        category_ids = list(
            dict.fromkeys(str(c) for product in products.values() for c in product.categories)
        )
        names: dict[str, str] = {}
        if category_ids:
            for item in await self._by_ids(store_hash, "/v3/catalog/categories", category_ids):
                category = _parse(BcCategory, item, "category")
                names[str(category.id)] = category.name
        brand_ids = list(dict.fromkeys(b for p in products.values() if (b := id_or_none(p.brand_id))))
        brands: dict[str, str] = {}
        if brand_ids:
            for item in await self._by_ids(store_hash, "/v3/catalog/brands", brand_ids):
                brand = _parse(BcCategory, item, "brand")  # the same {id, name} shape
                brands[str(brand.id)] = brand.name
        return [product_info(products[i], names, brands) for i in wanted if i in products]

    async def get_product(self, store_hash: str, product_id: str) -> dict[str, Any]:
        """The V3 catalog product's `data` object. A product the catalog does not have raises a
        permanent `ProviderError` of kind `not_found`."""
        try:
            body = await self._request("GET", store_hash, f"/v3/catalog/products/{_segment(product_id)}")
        except ProviderError as exc:
            if exc.status != 404:
                raise
            raise not_found(PROVIDER, f"BigCommerce store {store_hash} has no product {product_id}") from exc
        return _data_object(body, "product")

    async def fetch_stock(self, store_hash: str, sku: str) -> int | None:
        """The product's `inventory_level`; None when the store does not track its stock
        (`inventory_tracking` "none"). `sku` is the product id as a string: the key BigCommerce's
        inventory webhooks give us. For a product tracked by variant, BigCommerce's product-level
        `inventory_level` is the sum of its variants'. A product the merchant disabled
        (`availability` "disabled") sells nothing, whatever its stock: 0."""
        product = _parse(BcProductStock, await self.get_product(store_hash, sku), "product")
        if product.availability == "disabled":
            return 0
        if product.inventory_tracking == "none":
            return None
        return product.inventory_level

    async def fetch_price(self, store_hash: str, sku: str) -> Decimal:
        """What a shopper pays for the product now (`sku` is the product id, as for `fetch_stock`):
        the catalog's `calculated_price` when given, else the sale price when one is set, else the
        price. `store/product/updated` carries no price, so the product watch reads it here."""
        product = _parse(BcProductStock, await self.get_product(store_hash, sku), "product")
        return product.current_price()

    async def purchased_since(
        self, store_hash: str, sku: str, customer_ids: list[str], since: datetime
    ) -> list[str]:
        """Those of `customer_ids` (in their order) with an order created at or after `since` that
        contains product `sku` (the product id). Incomplete, cancelled and declined orders do not
        count. One paged listing of the store's orders since then (`min_date_created`), then the
        products of the watchers' orders, until each watcher is found or has no order left."""
        product_id = str(sku).strip()
        wanted = list(dict.fromkeys(c for c in (str(i).strip() for i in customer_ids) if c not in ("", "0")))
        if not product_id or not wanted:
            return []
        watchers = set(wanted)
        listed = await self._list(store_hash, "/v2/orders", {"min_date_created": _rfc2822(since)})
        orders: dict[str, list[str]] = {}
        for raw in listed:
            order = _parse(BcOrderSummary, raw, "order")
            customer = str(order.customer_id)
            if customer in watchers and order.status_id not in NOT_PURCHASED:
                orders.setdefault(customer, []).append(str(order.id))

        gate = asyncio.Semaphore(ORDER_READS_AT_ONCE)

        async def bought(order_ids: list[str]) -> bool:
            for order_id in order_ids:
                async with gate:
                    lines = await self.get_order_products(store_hash, order_id)
                refs = (_parse(BcOrderLineRef, line, "order product") for line in lines)
                if any(id_or_none(ref.product_id) == product_id for ref in refs):
                    return True
            return False

        checks = {customer: asyncio.ensure_future(bought(ids)) for customer, ids in orders.items()}
        await _together(list(checks.values()))
        return [customer for customer in wanted if customer in checks and checks[customer].result()]

    # ---- writes (callbacks) ----------------------------------------------------------------------

    async def add_order_note(self, store_hash: str, order_id: str, note: str) -> None:
        """A staff note on the order (see `update_staff_notes`)."""
        await self.update_staff_notes(store_hash, order_id, note)

    async def add_case_comment(self, store_hash: str, case_id: str, order_id: str | None, text: str) -> str:
        """BigCommerce has no case object: the comment becomes a staff note on the case's order,
        prefixed with the case id so the merchant's team sees which conversation it belongs to.
        Idempotent like every staff note. Returns where it went, for the journey's timeline."""
        if not order_id:
            return "no order to note on"
        await self.update_staff_notes(store_hash, order_id, f"Tidings case {case_id}: {text}")
        return f"staff note on order {order_id}"

    async def cancel_and_restock(self, store_hash: str, order_id: str, note: str) -> None:
        """Status 5 Cancelled with `note` appended to the staff notes, in one write. BigCommerce
        returns the items to stock itself when an order is cancelled (its inventory settings decide,
        on by default). Repeating it changes nothing more."""
        await self.update_order_status(store_hash, order_id, CANCELLED, note)

    async def update_order_status(
        self, store_hash: str, order_id: str, status_id: int, staff_note: str | None = None
    ) -> None:
        """Set the order's status (e.g. 5 Cancelled) and, when given, append `staff_note` to its
        staff notes, in one `PUT /v2/orders/{id}`."""
        if isinstance(status_id, bool) or status_id not in STATUS_NAMES:
            raise ProviderError(
                f"{status_id!r} is not a BigCommerce order status id",
                provider=PROVIDER,
                kind=f"{kind_prefix(PROVIDER)}Rejected",
                transient=False,
            )
        body: dict[str, Any] = {"status_id": status_id}
        if staff_note is not None and staff_note.strip():
            notes = await self._appended_notes(store_hash, order_id, staff_note)
            if notes is not None:
                body["staff_notes"] = notes
        await self._request("PUT", store_hash, f"/v2/orders/{_segment(order_id)}", json=body)

    async def update_staff_notes(self, store_hash: str, order_id: str, note: str) -> None:
        """Append `note` to the order's staff notes (visible to the merchant only), on a new line.

        The order is read first so nothing already there is lost. A note that already ends the
        staff notes is not appended again, so a retried call (the PUT landed, its answer did not)
        leaves one copy."""
        if not note.strip():
            return
        notes = await self._appended_notes(store_hash, order_id, note)
        if notes is not None:
            await self._request(
                "PUT", store_hash, f"/v2/orders/{_segment(order_id)}", json={"staff_notes": notes}
            )

    async def _appended_notes(self, store_hash: str, order_id: str, note: str) -> str | None:
        """The staff notes with `note` appended; None when they already end with it."""
        current = (await self.get_order(store_hash, order_id)).get("staff_notes")
        return _append_note(current if isinstance(current, str) else "", note)

    async def _by_ids(
        self, store_hash: str, path: str, ids: Sequence[str], extra_query: str = ""
    ) -> list[dict[str, Any]]:
        """A V3 collection filtered with `id:in`, the ids split into chunks of one page each."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(ids), ID_FILTER_CHUNK):
            # Commas separate the ids, so each id is quoted; the colon of `id:in` stays literal.
            joined = ",".join(_segment(i) for i in ids[start : start + ID_FILTER_CHUNK])
            body = await self._request("GET", store_hash, f"{path}?id:in={joined}{extra_query}")
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
                raise invalid(f"{path} response has no data list of objects")
            items.extend(data)
        return items

    async def _list(
        self, store_hash: str, path: str, query: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a V2 collection, page by page (`query` are its filters)."""
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {**(query or {}), "limit": str(PAGE_SIZE), "page": str(page)}
            body = await self._request("GET", store_hash, f"{path}?{urlencode(params, quote_via=quote)}")
            if body is None:  # 204 No Content: BigCommerce's empty list (or the page after the last)
                break
            if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
                raise invalid(f"{path} is not a JSON list of objects")
            items.extend(body)
            if len(body) < PAGE_SIZE:
                break
        return items

    async def _request(self, method: str, store_hash: str, path: str, json: Any = None) -> Any:
        """One call; None for 204. Errors come out classified as `ProviderError`s."""
        token = configured(self._token_for, store_hash, PROVIDER)
        url = f"{self._api_url}/stores/{_segment(store_hash)}{path}"
        headers = {"X-Auth-Token": token, "Accept": "application/json"}
        try:
            response = await self._http.request(method, url, headers=headers, json=json)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PROVIDER) from exc
        raise_for_provider_status(response, PROVIDER)
        return json_answer(response, PROVIDER)  # None for 204: BigCommerce's empty collection


async def _together(tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for independent reads run together. Not a TaskGroup: its ExceptionGroup would hide the
    classified ProviderError the activity needs; the first failure is raised as itself and the
    other reads are cancelled."""
    if not tasks:
        return
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # reap them: no stray errors logged
        raise


def _segment(value: str) -> str:
    # Ids come from webhooks: never let one change the path.
    return quote(str(value), safe="")


def _rfc2822(moment: datetime) -> str:
    # V2 filters take RFC 2822 dates; a naive time is taken as UTC (BigCommerce's clock).
    return format_datetime(aware(moment).astimezone(UTC))


def _parse(model: type[_WireModel], value: Any, what: str) -> _WireModel:
    return parse_answer(model, value, what, PROVIDER)


def _data_object(body: Any, what: str) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise invalid(f"{what} response has no data object")
    return data


def _append_note(current: str, note: str) -> str | None:
    note = note.strip()
    existing = current.rstrip()
    if not existing:
        return note
    if f"\n{existing}".endswith(f"\n{note}"):
        return None  # already the last note: a retry of a write that landed
    return f"{existing}\n{note}"
