"""Hydration: read what a notification needs from the platform's REST API. Platforms send thin
webhooks, so the ingress never calls them; this activity does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from temporalio import activity

from activities.errors import to_application_error, unsupported_platform
from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from domain.events import Platform
from domain.notifications import CartSnapshot, OrderSnapshot, ProductInfo


class OrderRef(BaseModel):
    platform: Platform
    store: str
    order_id: str


class CartRef(BaseModel):
    platform: Platform
    store: str
    cart_id: str


class ProductsRef(BaseModel):
    platform: Platform
    store: str
    product_ids: list[str]


T = TypeVar("T")


class HydrationActivities:
    def __init__(self, bigcommerce: BigCommerceClient) -> None:
        self.bigcommerce = bigcommerce

    async def _read(self, platform: Platform, read: Callable[[BigCommerceClient], Awaitable[T]]) -> T:
        """Every read: the platform's client, its errors in Temporal's retry terms."""
        if platform is not Platform.BIGCOMMERCE:
            raise unsupported_platform(platform.value)
        try:
            return await read(self.bigcommerce)
        except ProviderError as exc:
            raise to_application_error(exc) from exc

    @activity.defn(name="hydrate_order")
    async def hydrate_order(self, ref: OrderRef) -> OrderSnapshot:
        return await self._read(ref.platform, lambda bc: bc.fetch_order_snapshot(ref.store, ref.order_id))

    @activity.defn(name="hydrate_cart")
    async def hydrate_cart(self, ref: CartRef) -> CartSnapshot:
        """The cart as it is now. A cart the platform no longer has raises `BigCommerceNotFound`."""
        return await self._read(ref.platform, lambda bc: bc.fetch_cart_snapshot(ref.store, ref.cart_id))

    @activity.defn(name="hydrate_products")
    async def hydrate_products(self, ref: ProductsRef) -> list[ProductInfo]:
        """Catalog facts for the products of an order: categories, links, replenishment cycles."""
        return await self._read(ref.platform, lambda bc: bc.fetch_products(ref.store, ref.product_ids))
