"""The one interface the activities use to read from and write back into a commerce platform.

BigCommerce, SFCC and SAP Commerce Cloud each implement it in their connector package; the
activities pick the implementation by the event's platform and never see a foreign wire format.
Every method raises `connectors.errors.ProviderError` (transient or permanent) on failure, and a
`ProviderError` with `kind="not_found"` when the platform does not have the thing asked for.
Writes are idempotent on the platform side: repeating one (a retried activity) changes nothing more.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.events import Platform
from domain.notifications import CartSnapshot, OrderSnapshot, ProductInfo, Recipient


class CommercePlatformClient(Protocol):
    platform: Platform

    # Reads (hydration)
    async def fetch_order_snapshot(self, store: str, order_id: str) -> OrderSnapshot: ...

    async def fetch_cart_snapshot(self, store: str, cart_id: str) -> CartSnapshot: ...

    async def fetch_products(self, store: str, product_ids: list[str]) -> list[ProductInfo]: ...

    async def fetch_stock(self, store: str, sku: str) -> int | None:
        """Quantity available to sell now; None when the platform does not track stock for the SKU."""
        ...

    async def fetch_price(self, store: str, sku: str) -> Decimal | None:
        """What a shopper pays for the SKU now; None when the platform's API does not say."""
        ...

    async def fetch_customer(self, store: str, customer_id: str) -> Recipient | None:
        """Who a customer is (name, email, phone, language), for account events that name only an
        id; None when the platform's account events carry the customer themselves, or it has none."""
        ...

    async def purchased_since(
        self, store: str, sku: str, customer_ids: list[str], since: datetime
    ) -> list[str]:
        """Those of `customer_ids` who ordered `sku` at or after `since`."""
        ...

    # Writes (callbacks)
    async def add_order_note(self, store: str, order_id: str, note: str) -> None: ...

    async def add_case_comment(self, store: str, case_id: str, order_id: str | None, text: str) -> str:
        """Put a customer's words (or the case's state) where the merchant's team works the case.
        Returns where it went, for the journey's timeline (e.g. "staff note on order 12")."""
        ...

    async def cancel_and_restock(self, store: str, order_id: str, note: str) -> None:
        """Cancel the order so the platform puts its items back in stock, saying why in `note`."""
        ...
