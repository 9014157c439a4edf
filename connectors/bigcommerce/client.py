"""BigCommerce REST reads (and the few writes) that hydration and callbacks need.

Webhooks are thin, so everything a message needs is read here and mapped onto `OrderSnapshot`,
`CartSnapshot` and `ProductInfo`. Writes go to the V2 order: its status and the staff notes, which
are appended to (never overwritten). The `httpx.AsyncClient` is shared per worker and passed in;
so is the per-store token lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connectors.bigcommerce.status_map import STATUS_NAMES, STATUS_STAGES
from connectors.errors import ProviderError, raise_for_provider_status, transport_error
from domain.events import Platform
from domain.notifications import (
    CartLine,
    CartSnapshot,
    OrderLine,
    OrderSnapshot,
    ProductInfo,
    Recipient,
    Shipment,
)

PROVIDER = "BigCommerce"
# Same derivation as `connectors.errors`, so every BigCommerce error kind shares one prefix.
KIND_PREFIX = PROVIDER.replace(" ", "")
PAGE_SIZE = 250  # V2 sub-resources default to 50 per page; 250 is the maximum
MAX_PAGES = 40  # a guard against a server that ignores `page`: 10 000 lines is plenty
# V3 collections answer 50 items per page by default, so an `id:in` filter of at most 50 ids is one
# page; longer id lists are split.
ID_FILTER_CHUNK = 50
CART_INCLUDE = "redirect_urls,line_items.physical_items.options"
PRODUCT_INCLUDE = "custom_fields,primary_image"
REPLENISH_FIELD = "replenish_days"  # the product custom field naming a consumable's cycle in days


def _blank_to_none(value: object) -> object:
    # BigCommerce uses "" for "not set" in many string fields.
    return None if isinstance(value, str) and not value.strip() else value


def _object_or_none(value: object) -> object:
    # An absent nested object shows up as null, {} or [] depending on the resource.
    return value if isinstance(value, dict) and value else None


_Text = Annotated[str | None, BeforeValidator(_blank_to_none)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


_WireModel = TypeVar("_WireModel", bound=_Wire)


class _BillingAddress(_Wire):
    first_name: _Text = None
    last_name: _Text = None
    email: _Text = None
    phone: _Text = None
    country_iso2: _Text = None


class _Order(_Wire):
    id: int
    customer_id: int = 0  # 0 is a guest checkout
    status_id: int
    status: str | None = None
    date_created: str | None = None  # RFC 2822, e.g. "Tue, 05 Mar 2019 21:40:39 +0000"
    total_inc_tax: Decimal
    currency_code: str
    billing_address: _BillingAddress = Field(default_factory=_BillingAddress)


class _Product(_Wire):
    product_id: int | str | None = None  # 0 for a custom product that is not in the catalog
    name: str
    sku: _Text = None
    quantity: int = 1
    price_inc_tax: Decimal = Decimal(0)
    image_url: _Text = None  # not in BigCommerce's V2 shape; our sandbox adds it


class _Shipment(_Wire):
    id: int | str
    tracking_number: _Text = None
    tracking_carrier: _Text = None
    tracking_link: _Text = None
    shipping_method: _Text = None
    shipping_provider: _Text = None


class _ShippingAddress(_Wire):
    city: _Text = None


class _Customer(_Wire):
    first_name: _Text = None
    last_name: _Text = None
    email: _Text = None
    phone: _Text = None


class _CartItem(_Wire):
    product_id: int | str | None = None  # custom items have none
    parent_id: int | str | None = None  # set on the children of a bundle, which the parent stands for
    name: str
    sku: _Text = None
    quantity: int = 1
    sale_price: Decimal | None = None  # after item discounts: what the shopper sees
    list_price: Decimal | None = None
    image_url: _Text = None
    url: _Text = None


class _LineItems(_Wire):
    physical_items: list[_CartItem] = Field(default_factory=list)
    digital_items: list[_CartItem] = Field(default_factory=list)
    custom_items: list[_CartItem] = Field(default_factory=list)


class _Currency(_Wire):
    code: str = "USD"


class _RedirectUrls(_Wire):
    checkout_url: _Text = None
    cart_url: _Text = None


class _Cart(_Wire):
    id: str
    customer_id: int = 0  # 0 is a guest
    email: _Text = None
    locale: _Text = None
    currency: _Currency = Field(default_factory=_Currency)
    cart_amount: Decimal = Decimal(0)
    updated_time: str | None = None  # ISO 8601
    line_items: _LineItems = Field(default_factory=_LineItems)
    redirect_urls: Annotated[_RedirectUrls | None, BeforeValidator(_object_or_none)] = None


class _CustomField(_Wire):
    name: str = ""
    value: Any = None


class _CustomUrl(_Wire):
    url: _Text = None


class _Image(_Wire):
    url_standard: _Text = None


class _CatalogProduct(_Wire):
    id: int | str
    name: str
    sku: _Text = None
    categories: list[int | str] = Field(default_factory=list)
    custom_url: Annotated[_CustomUrl | None, BeforeValidator(_object_or_none)] = None
    primary_image: Annotated[_Image | None, BeforeValidator(_object_or_none)] = None
    custom_fields: list[_CustomField] = Field(default_factory=list)


class _Category(_Wire):
    id: int | str
    name: str


class BigCommerceClient:
    """Reads orders, carts, customers and catalog products from a store's V2/V3 REST API with its
    `X-Auth-Token`, and writes order status and staff notes."""

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
        return _snapshot(
            store_hash, order.result(), products.result(), shipments.result(), addresses.result()
        )

    async def get_order(self, store_hash: str, order_id: str) -> dict[str, Any]:
        body = await self._request("GET", store_hash, f"/v2/orders/{_segment(order_id)}")
        if not isinstance(body, dict):
            raise _invalid(f"order {order_id} is not a JSON object")
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
            raise _invalid("customers response has no data list")
        return data[0] if data and isinstance(data[0], dict) else None

    async def fetch_cart_snapshot(self, store_hash: str, cart_id: str) -> CartSnapshot:
        """The V3 cart with its lines, checkout link and shopper, mapped onto a `CartSnapshot`.

        The checkout link comes with the cart (`include=redirect_urls`); when it does not, it is
        created (`POST .../redirect_urls`). A registered shopper is read from `/v3/customers`; a
        guest is known only by the cart's email, if any. An unknown cart raises the permanent
        `BigCommerceNotFound`."""
        cart = _parse(_Cart, await self.get_cart(store_hash, cart_id), "cart")
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
            checkout_url = _parse(_RedirectUrls, redirect.result(), "redirect_urls").checkout_url
        account = customer.result() if customer is not None else None
        return _cart_snapshot(
            store_hash,
            cart,
            _parse(_Customer, account, "customer") if account is not None else None,
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
            str(product.id): product for product in (_parse(_CatalogProduct, p, "product") for p in raw)
        }
        category_ids = list(
            dict.fromkeys(str(c) for product in products.values() for c in product.categories)
        )
        names: dict[str, str] = {}
        if category_ids:
            for item in await self._by_ids(store_hash, "/v3/catalog/categories", category_ids):
                category = _parse(_Category, item, "category")
                names[str(category.id)] = category.name
        return [_product_info(products[i], names) for i in wanted if i in products]

    async def update_order_status(
        self, store_hash: str, order_id: str, status_id: int, staff_note: str | None = None
    ) -> None:
        """Set the order's status (e.g. 5 Cancelled) and, when given, append `staff_note` to its
        staff notes, in one `PUT /v2/orders/{id}`."""
        if isinstance(status_id, bool) or status_id not in STATUS_NAMES:
            raise ProviderError(
                f"{status_id!r} is not a BigCommerce order status id",
                provider=PROVIDER,
                kind=f"{KIND_PREFIX}Rejected",
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
                raise _invalid(f"{path} response has no data list of objects")
            items.extend(data)
        return items

    async def _list(self, store_hash: str, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            body = await self._request("GET", store_hash, f"{path}?limit={PAGE_SIZE}&page={page}")
            if body is None:  # 204 No Content: BigCommerce's empty list (or the page after the last)
                break
            if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
                raise _invalid(f"{path} is not a JSON list of objects")
            items.extend(body)
            if len(body) < PAGE_SIZE:
                break
        return items

    async def _request(self, method: str, store_hash: str, path: str, json: Any = None) -> Any:
        """One call; None for 204. Errors come out classified as `ProviderError`s."""
        try:
            token = self._token_for(store_hash)
        except LookupError as exc:
            # Configuration, not the network: retrying will not help.
            raise ProviderError(
                str(exc), provider=PROVIDER, kind=f"{KIND_PREFIX}NotConfigured", transient=False
            ) from exc
        url = f"{self._api_url}/stores/{_segment(store_hash)}{path}"
        headers = {"X-Auth-Token": token, "Accept": "application/json"}
        try:
            response = await self._http.request(method, url, headers=headers, json=json)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PROVIDER) from exc
        raise_for_provider_status(response, PROVIDER)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise _invalid(
                f"{method} {path} answered {response.status_code} with a body that is not JSON"
            ) from None


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


def _invalid(message: str) -> ProviderError:
    # A 2xx we cannot read will not read better on retry.
    return ProviderError(message, provider=PROVIDER, kind=f"{KIND_PREFIX}InvalidResponse", transient=False)


def _parse(model: type[_WireModel], value: Any, what: str) -> _WireModel:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise _invalid(f"unexpected {what} shape: {exc.errors(include_url=False)}") from None


def _data_object(body: Any, what: str) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise _invalid(f"{what} response has no data object")
    return data


def _append_note(current: str, note: str) -> str | None:
    note = note.strip()
    existing = current.rstrip()
    if not existing:
        return note
    if f"\n{existing}".endswith(f"\n{note}"):
        return None  # already the last note: a retry of a write that landed
    return f"{existing}\n{note}"


def _id_or_none(value: int | str | None) -> str | None:
    # BigCommerce uses 0 (or nothing) for "no such record", e.g. a custom product.
    if value is None or str(value).strip() in ("", "0"):
        return None
    return str(value).strip()


def _cart_snapshot(
    store_hash: str, cart: _Cart, account: _Customer | None, checkout_url: str | None
) -> CartSnapshot:
    if cart.customer_id > 0:
        parts = (account.first_name, account.last_name) if account is not None else ()
        recipient = Recipient(
            customer_id=str(cart.customer_id),
            name=" ".join(part for part in parts if part) or None,
            email=(account.email if account is not None else None) or cart.email,
            phone=account.phone if account is not None else None,
            locale=cart.locale or "en",
        )
    else:
        recipient = Recipient(customer_id=None, email=cart.email, locale=cart.locale or "en")
    items = cart.line_items
    lines = [
        CartLine(
            product_id=_id_or_none(item.product_id),
            name=item.name,
            sku=item.sku,
            quantity=item.quantity,
            price=_first_price(item.sale_price, item.list_price),
            image_url=item.image_url,
            url=item.url,
        )
        for item in (*items.physical_items, *items.digital_items, *items.custom_items)
        if _id_or_none(item.parent_id) is None
    ]
    return CartSnapshot(
        platform=Platform.BIGCOMMERCE,
        store=store_hash,
        cart_id=cart.id,
        customer=recipient,
        lines=lines,
        total=cart.cart_amount,
        currency=cart.currency.code,
        checkout_url=checkout_url,
        updated_at=_iso8601(cart.updated_time),
    )


def _first_price(*prices: Decimal | None) -> Decimal:
    return next((price for price in prices if price is not None), Decimal(0))


def _product_info(product: _CatalogProduct, category_names: dict[str, str]) -> ProductInfo:
    return ProductInfo(
        product_id=str(product.id),
        name=product.name,
        sku=product.sku,
        categories=[category_names[str(c)] for c in product.categories if str(c) in category_names],
        url=product.custom_url.url if product.custom_url else None,  # storefront-relative path
        image_url=product.primary_image.url_standard if product.primary_image else None,
        replenish_days=_replenish_days(product.custom_fields),
    )


def _replenish_days(fields: list[_CustomField]) -> int | None:
    for field in fields:
        if field.name.strip().lower() != REPLENISH_FIELD:
            continue
        value = field.value
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                continue
        if isinstance(value, int) and value > 0:
            return value
    return None


def _snapshot(
    store_hash: str,
    order_raw: dict[str, Any],
    products_raw: list[dict[str, Any]],
    shipments_raw: list[dict[str, Any]],
    addresses_raw: list[dict[str, Any]],
) -> OrderSnapshot:
    try:
        order = _Order.model_validate(order_raw)
        products = [_Product.model_validate(item) for item in products_raw]
        shipments = [_Shipment.model_validate(item) for item in shipments_raw]
        addresses = [_ShippingAddress.model_validate(item) for item in addresses_raw]
    except ValidationError as exc:
        raise _invalid(f"unexpected order shape: {exc.errors(include_url=False)}") from None
    stage = STATUS_STAGES.get(order.status_id)
    if stage is None:
        raise _invalid(f"order {order.id} has unknown status id {order.status_id}")

    billing = order.billing_address
    name = " ".join(part for part in (billing.first_name, billing.last_name) if part) or None
    return OrderSnapshot(
        platform=Platform.BIGCOMMERCE,
        store=store_hash,
        order_id=str(order.id),
        # `status` is the store's label; fall back to the standard name.
        platform_status=order.status or STATUS_NAMES[order.status_id],
        stage=stage,
        customer=Recipient(
            customer_id=str(order.customer_id) if order.customer_id else None,
            name=name,
            email=billing.email,
            phone=billing.phone,
            locale="en",
            country=billing.country_iso2,
        ),
        total=order.total_inc_tax,
        currency=order.currency_code,
        created_at=_rfc2822(order.date_created),
        lines=[
            OrderLine(
                product_id=_id_or_none(item.product_id),
                name=item.name,
                sku=item.sku,
                quantity=item.quantity,
                price=item.price_inc_tax,
                image_url=item.image_url,
            )
            for item in products
        ],
        shipments=[
            Shipment(
                shipment_id=str(item.id),
                carrier=item.tracking_carrier or item.shipping_provider,
                tracking_number=item.tracking_number,
                tracking_link=item.tracking_link,
                shipping_method=item.shipping_method,
            )
            for item in shipments
        ],
        shipping_city=next((address.city for address in addresses if address.city), None),
    )


def _iso8601(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None  # as with the RFC 2822 dates: not worth failing hydration over
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _rfc2822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # a display nicety, not worth failing hydration over
    # "-0000" means "zone unknown" and parses naive; BigCommerce's clock is UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
