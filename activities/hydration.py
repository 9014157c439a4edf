"""Hydration: read what a notification needs from the platform's REST API. Platforms send thin
webhooks, so the ingress never calls them; this activity does."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.errors import to_application_error
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


def _unsupported(platform: Platform) -> Exception:
    return to_application_error(
        ProviderError(
            f"no reader for {platform} yet",
            provider=platform.value,
            kind="UnsupportedPlatform",
            transient=False,
        )
    )


class HydrationActivities:
    def __init__(self, bigcommerce: BigCommerceClient) -> None:
        self.bigcommerce = bigcommerce

    @activity.defn(name="hydrate_order")
    async def hydrate_order(self, ref: OrderRef) -> OrderSnapshot:
        if ref.platform is not Platform.BIGCOMMERCE:
            raise _unsupported(ref.platform)
        try:
            return await self.bigcommerce.fetch_order_snapshot(ref.store, ref.order_id)
        except ProviderError as exc:
            raise to_application_error(exc) from exc

    @activity.defn(name="hydrate_cart")
    async def hydrate_cart(self, ref: CartRef) -> CartSnapshot:
        """The cart as it is now. A cart the platform no longer has raises `BigCommerceNotFound`."""
        if ref.platform is not Platform.BIGCOMMERCE:
            raise _unsupported(ref.platform)
        try:
            return await self.bigcommerce.fetch_cart_snapshot(ref.store, ref.cart_id)
        except ProviderError as exc:
            raise to_application_error(exc) from exc

    @activity.defn(name="hydrate_products")
    async def hydrate_products(self, ref: ProductsRef) -> list[ProductInfo]:
        """Catalog facts for the products of an order: categories, links, replenishment cycles."""
        if ref.platform is not Platform.BIGCOMMERCE:
            raise _unsupported(ref.platform)
        try:
            return await self.bigcommerce.fetch_products(ref.store, ref.product_ids)
        except ProviderError as exc:
            raise to_application_error(exc) from exc
