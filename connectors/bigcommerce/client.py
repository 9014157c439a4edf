"""BigCommerce REST reads (and the one write) that hydration and callbacks need.

Webhooks are thin, so everything a message needs is read here and mapped onto `OrderSnapshot`.
The `httpx.AsyncClient` is shared per worker and passed in; so is the per-store token lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connectors.bigcommerce.status_map import STATUS_NAMES, STATUS_STAGES
from connectors.errors import ProviderError, raise_for_provider_status, transport_error
from domain.events import Platform
from domain.notifications import OrderLine, OrderSnapshot, Recipient, Shipment

PROVIDER = "BigCommerce"
# Same derivation as `connectors.errors`, so every BigCommerce error kind shares one prefix.
KIND_PREFIX = PROVIDER.replace(" ", "")
PAGE_SIZE = 250  # V2 sub-resources default to 50 per page; 250 is the maximum
MAX_PAGES = 40  # a guard against a server that ignores `page`: 10 000 lines is plenty


def _blank_to_none(value: object) -> object:
    # BigCommerce uses "" for "not set" in many string fields.
    return None if isinstance(value, str) and not value.strip() else value


_Text = Annotated[str | None, BeforeValidator(_blank_to_none)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


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


class BigCommerceClient:
    """Reads orders from a store's V2/V3 REST API with its `X-Auth-Token`."""

    def __init__(self, http: httpx.AsyncClient, api_url: str, token_for: Callable[[str], str]) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._token_for = token_for

    async def fetch_order_snapshot(self, store_hash: str, order_id: str) -> OrderSnapshot:
        """Order + products + shipments + shipping addresses, mapped onto an `OrderSnapshot`."""
        # Four independent reads, run together. Not a TaskGroup: its ExceptionGroup would hide the
        # classified ProviderError the activity needs; the first failure is raised as itself.
        order = asyncio.ensure_future(self.get_order(store_hash, order_id))
        products = asyncio.ensure_future(self.get_order_products(store_hash, order_id))
        shipments = asyncio.ensure_future(self.get_order_shipments(store_hash, order_id))
        addresses = asyncio.ensure_future(self.get_order_shipping_addresses(store_hash, order_id))
        tasks = (order, products, shipments, addresses)
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # reap them: no stray errors logged
            raise
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

    async def update_staff_notes(self, store_hash: str, order_id: str, note: str) -> None:
        """Overwrite the order's staff notes (visible to the merchant only)."""
        await self._request("PUT", store_hash, f"/v2/orders/{_segment(order_id)}", json={"staff_notes": note})

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


def _segment(value: str) -> str:
    # Ids come from webhooks: never let one change the path.
    return quote(str(value), safe="")


def _invalid(message: str) -> ProviderError:
    # A 2xx we cannot read will not read better on retry.
    return ProviderError(message, provider=PROVIDER, kind=f"{KIND_PREFIX}InvalidResponse", transient=False)


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


def _rfc2822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # a display nicety, not worth failing hydration over
    # "-0000" means "zone unknown" and parses naive; BigCommerce's clock is UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
