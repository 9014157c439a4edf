"""What an end-to-end test needs from a commerce platform, whichever it is: a store the test plays
the merchant of. Each platform's implementation seeds the sandbox's stand-in for its REST API the
way the platform would hold the data, changes it as a merchant would, and posts the webhook that
platform sends (its own payload, signed or authenticated its own way) to the ingress.

The journeys' end-to-end tests are written once against this protocol and run for every platform."""

from __future__ import annotations

from typing import Protocol

import httpx

from domain.events import CaseKind, OrderStage


class PlatformShop(Protocol):
    platform: str  # "bigcommerce", "sfcc", "sap-commerce"
    store: str  # unique per test: store hash, SFCC site id, SAP base site

    def order_workflow_id(self, order_id: str) -> str: ...

    async def place_order(
        self,
        order_id: str,
        *,
        total: str = "59.90",
        email: str | None = "ada@example.com",
        phone: str | None = "+14155550101",
        customer_id: str = "7",
        pickup: bool = False,
    ) -> httpx.Response:
        """Seed the order (paid, awaiting fulfilment; a pickup order when `pickup`) and post the
        platform's order-created webhook."""
        ...

    async def move(self, order_id: str, stage: OrderStage) -> httpx.Response:
        """Change the order as the merchant's back office would so that it is at `stage` (SHIPPED
        also adds a shipment with tracking; DELIVERED on a pickup order means collected), and post
        the platform's webhook for that change. Supported: PAYMENT_CONFIRMED, FRAUD_REVIEW,
        PAYMENT_FAILED, AWAITING_PICKUP, SHIPPED, OUT_FOR_DELIVERY, DELIVERED, CANCELLED, REFUNDED."""
        ...

    async def abandon_cart(
        self,
        cart_id: str,
        *,
        customer_id: str = "7",
        email: str | None = "ada@example.com",
        amount: str = "129.00",
    ) -> httpx.Response:
        """Seed the cart/basket and post the platform's abandonment webhook."""
        ...

    async def convert_cart(self, cart_id: str, order_id: str) -> httpx.Response:
        """The shopper checked out: the cart is gone from the platform and became `order_id`."""
        ...

    async def open_case(self, case_id: str, order_id: str, kind: CaseKind, text: str) -> httpx.Response:
        """A return request / refund / delivery dispute / customer message, as the platform reports it."""
        ...

    async def close_case(self, case_id: str, order_id: str) -> httpx.Response: ...

    async def post_with_bad_auth(self) -> httpx.Response:
        """A well-formed webhook whose signature or credentials are wrong: must get 401."""
        ...

    async def post_malformed(self) -> httpx.Response:
        """An authentic request whose body is not a payload the platform sends: must get 400."""
        ...

    async def write_backs(self, order_id: str) -> list[str]:
        """Texts Tidings wrote back into the platform for this order (order notes, case comments),
        as the sandbox's stand-in recorded them, oldest first."""
        ...

    async def cancelled_in_platform(self, order_id: str) -> bool:
        """Whether Tidings cancelled (and restocked) the order through the platform's API."""
        ...
