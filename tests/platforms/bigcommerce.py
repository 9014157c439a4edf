"""A BigCommerce store as the platform-neutral end-to-end tests play it (`PlatformShop`): the
BigCommerce `Shop` of `tests/shop.py` seeds the sandbox's V2/V3 stand-in, changes orders the way a
merchant's back office would, and posts BigCommerce's signed, thin webhooks.

Cases: BigCommerce has no case object. A shopper raises a return, a delivery problem or a question
the one way the store offers, a message on the order, and Tidings makes that conversation the case
`order-{order_id}` (whatever case id a test picks; the ingress's answer names the journey).

Where BigCommerce has no such thing, the test is skipped rather than faked:
- OUT_FOR_DELIVERY: BigCommerce has no out-for-delivery status (its fifteen status ids go from
  Shipped straight to Completed; carriers' scans stay with the carrier).
- closing a case, unless the shop is given a Temporal client (`temporal=`): BigCommerce has no case
  to close and sends nothing when a conversation ends. A service desk closes it by sending the journey
  the canonical CASE_CLOSED event, which the shop then does itself.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import pytest
from temporalio.client import Client

from connectors.bigcommerce.simulate import order_webhook, signed_headers
from connectors.bigcommerce.webhooks import order_case_id
from domain.events import (
    CaseKind,
    CasePayload,
    CommerceEvent,
    EventType,
    OrderStage,
    Platform,
    case_workflow_id,
    order_workflow_id,
)
from tests.shop import Shop

# The BigCommerce status id a merchant sets for each stage (see connectors/bigcommerce/status_map.py).
STAGE_STATUS: Final[dict[OrderStage, int]] = {
    OrderStage.PAYMENT_CONFIRMED: 11,  # Awaiting Fulfillment
    OrderStage.FRAUD_REVIEW: 12,  # Manual Verification Required
    OrderStage.PAYMENT_FAILED: 6,  # Declined
    OrderStage.AWAITING_PICKUP: 8,  # Awaiting Pickup
    OrderStage.SHIPPED: 2,  # Shipped
    OrderStage.DELIVERED: 10,  # Completed (for a pickup order: collected)
    OrderStage.CANCELLED: 5,  # Cancelled
    OrderStage.REFUNDED: 4,  # Refunded
}
PICKUP_METHOD = "Pickup In Store"
CANCELLED = STAGE_STATUS[OrderStage.CANCELLED]


class BigCommerceShop:
    """`PlatformShop` for BigCommerce. Order ids are BigCommerce's integers, passed as strings."""

    platform: str = Platform.BIGCOMMERCE.value

    def __init__(
        self,
        http: httpx.AsyncClient,
        sandbox_url: str,
        ingress_url: str,
        secret: str,
        api_token: str = "",
        *,
        temporal: Client | None = None,
    ) -> None:
        self.shop = Shop(http, sandbox_url, ingress_url, secret, api_token)
        self.store = self.shop.store
        self.temporal = temporal
        self._status: dict[str, int] = {}  # the status the merchant last set, per order
        self._shipments: dict[str, int] = {}
        self._refunds = 0

    def order_workflow_id(self, order_id: str) -> str:
        return order_workflow_id(self.platform, self.store, order_id)

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
        """Paid and awaiting fulfilment (status 11). A pickup order is the same order with the
        store-pickup shipping method: BigCommerce tells the shopper it is ready when the merchant
        sets Awaiting Pickup (`move(..., AWAITING_PICKUP)`)."""
        await self.shop.seed(
            int(order_id),
            status=STAGE_STATUS[OrderStage.PAYMENT_CONFIRMED],
            total=total,
            email=email,
            phone=phone,
            customer_id=int(customer_id),
            shipping_method=PICKUP_METHOD if pickup else None,
        )
        self._status[order_id] = STAGE_STATUS[OrderStage.PAYMENT_CONFIRMED]
        return await self.shop.created(int(order_id))

    async def move(self, order_id: str, stage: OrderStage) -> httpx.Response:
        """The merchant sets the status; BigCommerce posts `store/order/statusUpdated`, or for SHIPPED
        the shipment (with tracking) and `store/shipment/created`, for REFUNDED the refund and
        `store/order/refund/created`."""
        if stage is OrderStage.OUT_FOR_DELIVERY:
            pytest.skip("BigCommerce has no out-for-delivery order status")
        status = STAGE_STATUS.get(stage)
        if status is None:
            raise ValueError(f"a merchant does not move a BigCommerce order to {stage}")
        previous = self._status.get(order_id, STAGE_STATUS[OrderStage.PAYMENT_CONFIRMED])
        self._status[order_id] = status
        number = int(order_id)
        if stage is OrderStage.SHIPPED:
            self._shipments[order_id] = shipment = self._shipments.get(order_id, 0) + 1
            return await self.shop.shipped(number, shipment_id=number * 100 + shipment, status=status)
        if stage is OrderStage.REFUNDED:
            self._refunds += 1
            return await self.shop.refunded(number, refund_id=self._refunds, status=status)
        return await self.shop.status_changed(number, status, previous=previous)

    async def abandon_cart(
        self,
        cart_id: str,
        *,
        customer_id: str = "7",
        email: str | None = "ada@example.com",
        amount: str = "129.00",
    ) -> httpx.Response:
        await self.shop.seed_cart(cart_id, customer_id=int(customer_id), email=email, amount=amount)
        return await self.shop.cart_event("abandoned", cart_id)

    async def convert_cart(self, cart_id: str, order_id: str) -> httpx.Response:
        """BigCommerce deletes the cart at checkout and says which order it became."""
        await self.shop.delete_cart(cart_id)
        return await self.shop.cart_event("converted", cart_id, int(order_id))

    def case_id(self, order_id: str) -> str:
        """BigCommerce names a case after its order: the conversation about the order is the case."""
        return order_case_id(order_id)

    async def open_case(self, case_id: str, order_id: str, kind: CaseKind, text: str) -> httpx.Response:
        """The customer writes to the store about the order (`store/order/message/created`). The
        webhook carries neither `kind` nor the words (read through the API), and the case is
        `order-{order_id}`, not `case_id`. An order not placed yet is seeded first, shipped, as a
        customer usually writes about one on its way."""
        if await self.shop.order(int(order_id)) is None:
            await self.shop.seed(int(order_id), status=STAGE_STATUS[OrderStage.SHIPPED])
            self._status[order_id] = STAGE_STATUS[OrderStage.SHIPPED]
        return await self.shop.message(int(order_id))

    async def close_case(self, case_id: str, order_id: str) -> httpx.Response:
        """BigCommerce has no case to close: the service desk's CASE_CLOSED for the order's case goes
        to the journey as a signal (what the ingress would do with a platform's case-closed event).
        The answer imitates the ingress's 202."""
        if self.temporal is None:
            pytest.skip("BigCommerce has no case-closed webhook; give BigCommerceShop a Temporal client")
        case = self.case_id(order_id)
        event = CommerceEvent(
            event_id=f"close-{case}-{time.time_ns()}",
            platform=Platform.BIGCOMMERCE,
            store=self.store,
            type=EventType.CASE_CLOSED,
            occurred_at=datetime.now(UTC),
            case=CasePayload(case_id=case, kind=CaseKind.CUSTOMER_MESSAGE, order_id=order_id),
            raw_scope="service desk: case closed",
        )
        workflow_id = case_workflow_id(self.platform, self.store, case)
        await self.temporal.get_workflow_handle(workflow_id).signal("commerce_event", event)
        return httpx.Response(
            202,
            json={"status": "accepted", "workflow_ids": [workflow_id]},
            request=httpx.Request("POST", f"temporal:///{workflow_id}/commerce_event"),
        )

    async def post_with_bad_auth(self) -> httpx.Response:
        """A real order webhook signed with another app's client secret."""
        body = json.dumps(order_webhook(self.store, "store/order/created", 9001)).encode()
        return await self.shop.post_body(body, signed_headers(body, "not-the-client-secret"))

    async def post_malformed(self) -> httpx.Response:
        """Correctly signed, but the order webhook has no order id."""
        payload: dict[str, Any] = order_webhook(self.store, "store/order/created", 9002)
        del payload["data"]["id"]
        return await self.shop.post(payload)

    async def write_backs(self, order_id: str) -> list[str]:
        """The order's staff notes, line by line: where BigCommerceClient writes order notes and
        case comments ("Tidings case order-12: …")."""
        return await self.shop.staff_notes(int(order_id))

    async def cancelled_in_platform(self, order_id: str) -> bool:
        """The order is Cancelled (status 5) and not because the test's merchant set it so."""
        order = await self.shop.order(int(order_id))
        if order is None or order.get("status_id") != CANCELLED:
            return False
        return self._status.get(order_id) != CANCELLED
