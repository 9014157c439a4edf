"""Hydration: read what a notification needs from the platform's REST API. Platforms send thin
webhooks, so the ingress never calls them; this activity does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from temporalio import activity

from activities.platforms import PlatformClients, on_platform
from domain.events import Platform
from domain.notifications import CartSnapshot, OrderSnapshot, ProductInfo, Recipient
from domain.tracking import TrackingTables, tracking_table, with_tracking_links


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


class StockRef(BaseModel):
    platform: Platform
    store: str
    sku: str


class CustomerRead(BaseModel):
    platform: Platform
    store: str
    customer_id: str


class PurchasesRef(BaseModel):
    platform: Platform
    store: str
    sku: str
    customer_ids: list[str]
    since: datetime


OrderTeller = Callable[[OrderSnapshot, PlatformClients], Awaitable[None]]


class HydrationActivities:
    def __init__(
        self,
        platforms: PlatformClients,
        tell: OrderTeller | None = None,
        tracking: TrackingTables | None = None,
    ) -> None:
        self.platforms = platforms
        self.tell = tell  # the order's buyer and VIP status to their journeys (activities/order_fanout.py)
        self.tracking = tracking or (lambda _platform, _store: tracking_table())

    @activity.defn(name="hydrate_order")
    async def hydrate_order(self, ref: OrderRef) -> OrderSnapshot:
        """The order as it is now. Reading it also tells its buyer's lifecycle (and the account team
        of a VIP), whatever platform it came from: thin webhooks cannot."""
        snapshot = await on_platform(
            self.platforms, ref.platform, lambda p: p.fetch_order_snapshot(ref.store, ref.order_id)
        )
        # a carrier and a number but no link (SAP never sends one): the store's carrier table builds it
        table = self.tracking(ref.platform, ref.store)
        snapshot = snapshot.model_copy(update={"shipments": with_tracking_links(snapshot.shipments, table)})
        if self.tell is not None:
            await self.tell(snapshot, self.platforms)
        return snapshot

    @activity.defn(name="hydrate_cart")
    async def hydrate_cart(self, ref: CartRef) -> CartSnapshot:
        """The cart as it is now. A cart the platform no longer has raises an error of type `NotFound`."""
        return await on_platform(
            self.platforms, ref.platform, lambda p: p.fetch_cart_snapshot(ref.store, ref.cart_id)
        )

    @activity.defn(name="hydrate_products")
    async def hydrate_products(self, ref: ProductsRef) -> list[ProductInfo]:
        """Catalog facts for the products of an order: categories, links, replenishment cycles."""
        return await on_platform(
            self.platforms, ref.platform, lambda p: p.fetch_products(ref.store, ref.product_ids)
        )

    @activity.defn(name="hydrate_stock")
    async def hydrate_stock(self, ref: StockRef) -> int | None:
        """Quantity available to sell now (None: the platform does not track the SKU's stock)."""
        return await on_platform(self.platforms, ref.platform, lambda p: p.fetch_stock(ref.store, ref.sku))

    @activity.defn(name="hydrate_price")
    async def hydrate_price(self, ref: StockRef) -> Decimal | None:
        """What a shopper pays for the SKU now (None: the platform's API does not say)."""
        return await on_platform(self.platforms, ref.platform, lambda p: p.fetch_price(ref.store, ref.sku))

    @activity.defn(name="purchased_since")
    async def purchased_since(self, ref: PurchasesRef) -> list[str]:
        """Which of these customers ordered the SKU since a moment (they need no back-in-stock news)."""
        return await on_platform(
            self.platforms,
            ref.platform,
            lambda p: p.purchased_since(ref.store, ref.sku, ref.customer_ids, ref.since),
        )

    @activity.defn(name="hydrate_customer")
    async def hydrate_customer(self, ref: CustomerRead) -> Recipient | None:
        """Who a customer is, for an account event that names only an id (BigCommerce's customer
        webhooks); None when the platform's events carry the customer or it has no such customer."""
        return await on_platform(
            self.platforms, ref.platform, lambda p: p.fetch_customer(ref.store, ref.customer_id)
        )
