"""An SAP Commerce Cloud base site as the end-to-end tests play it (`PlatformShop`): seeds the sandbox's
SAP stand-in with the items the `Tidings*` integration objects describe, changes them as the order
process, the warehouse or the back office would, and posts the webhook `webhookservices` would send
(the item's IO JSON to `/webhooks/sap-commerce?io=…`, Basic credentials, CloudEvents headers).

SAP has one case object, the return request: every case kind is opened as one (a refund without
returned goods as a return with the IMMEDIATE action, so it reports `CaseKind.REFUND`; a delivery
dispute or a customer message as a return request carrying the customer's words in its notes).
A refunded order is a return request whose payment was reversed for the order's total."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.sap_commerce import simulate
from connectors.sap_commerce.webhooks import CART_IO, ORDER_IO, RETURN_IO
from domain.events import CaseKind, OrderStage, order_workflow_id
from tests.platforms.common import SandboxStore

PICKUP_STORE = "nakano"
CARRIER = "UPS"

# The order status and consignment status `move` sets for each supported stage.
ORDER_STATUS_FOR: dict[OrderStage, str] = {
    # Placed orders are PAYMENT_CAPTURED; confirming one again (after a fraud review, say) is the
    # order process's next status, FRAUD_CHECKED: new content, so a new event (see dedupe.py).
    OrderStage.PAYMENT_CONFIRMED: "FRAUD_CHECKED",
    OrderStage.FRAUD_REVIEW: "WAIT_FRAUD_MANUAL_CHECK",
    OrderStage.PAYMENT_FAILED: "PAYMENT_NOT_CAPTURED",
    OrderStage.AWAITING_PICKUP: "ORDER_SPLIT",
    OrderStage.SHIPPED: "ORDER_SPLIT",
    OrderStage.OUT_FOR_DELIVERY: "ORDER_SPLIT",
    OrderStage.DELIVERED: "COMPLETED",
    OrderStage.CANCELLED: "CANCELLED",
    OrderStage.RETURNED_TO_SENDER: "ORDER_SPLIT",  # the carrier brings a refused parcel back
}
CONSIGNMENT_STATUS_FOR: dict[OrderStage, str] = {
    OrderStage.AWAITING_PICKUP: "READY_FOR_PICKUP",
    OrderStage.SHIPPED: "SHIPPED",
    OrderStage.OUT_FOR_DELIVERY: "DELIVERING",
    OrderStage.RETURNED_TO_SENDER: "DELIVERY_REJECTED",
}
SUPPORTED: frozenset[OrderStage] = frozenset({*ORDER_STATUS_FOR, OrderStage.REFUNDED})


class SapShop:
    platform = "sap-commerce"

    def __init__(
        self, http: httpx.AsyncClient, sandbox_url: str, ingress_url: str, user: str, password: str
    ) -> None:
        self.http = http
        self.sandbox = sandbox_url.rstrip("/")
        self.ingress = ingress_url.rstrip("/")
        self.user = user
        self.password = password
        self.store = f"site{uuid.uuid4().hex[:8]}"  # a fresh base site per shop
        self.seeds = SandboxStore(http, sandbox_url, "sap", self.store)
        self._returns: dict[str, dict[str, Any]] = {}

    def order_workflow_id(self, order_id: str) -> str:
        return order_workflow_id(self.platform, self.store, order_id)

    # ---- the merchant's SAP Commerce -----------------------------------------------------------------

    async def _order_view(self, order_id: str) -> dict[str, Any]:
        view: dict[str, Any] = await self.seeds.get("orders", order_id)
        return view

    async def post(
        self,
        io: str,
        doc: dict[str, Any],
        *,
        operation: str = "Updated",
        event: str | None = None,
        site: str | None = None,
        password: str | None = None,
    ) -> httpx.Response:
        """POST an item's JSON as the consumed destination for `io` would."""
        headers = {
            **simulate.cloud_event_headers(io, operation),
            **simulate.basic_headers(self.user, self.password if password is None else password),
        }
        return await self.http.post(
            f"{self.ingress}{simulate.WEBHOOK_PATH}",
            params=simulate.webhook_params(io, site=site, event=event),
            content=json.dumps(doc).encode(),
            headers=headers,
        )

    # ---- PlatformShop -------------------------------------------------------------------------------

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
        """Paid (PAYMENT_CAPTURED), no consignments yet; a pickup order has delivery mode `pickup`.
        SAP posts the new order's first save."""
        doc = simulate.order_document(
            self.store,
            order_id,
            status="PAYMENT_CAPTURED",
            total=total,
            email=email,
            phone=phone,
            customer_id=customer_id,
            pickup=pickup,
            placed_at=datetime.now(UTC),
        )
        await self.seeds.put("orders", order_id, doc)
        return await self.post(ORDER_IO, doc, operation="Created")

    async def move(self, order_id: str, stage: OrderStage) -> httpx.Response:
        if stage not in SUPPORTED:
            raise ValueError(f"SapShop cannot move an order to {stage}")
        doc = (await self._order_view(order_id))["order"]
        if stage is OrderStage.REFUNDED:
            return await self._refund_in_full(order_id, doc)
        self.apply(doc, stage)
        doc["modifiedtime"] = simulate.sap_date(datetime.now(UTC))
        await self.seeds.put("orders", order_id, doc)
        return await self.post(ORDER_IO, doc)

    @staticmethod
    def apply(doc: dict[str, Any], stage: OrderStage) -> None:
        """Change an order document as SAP's order process, warehouse or back office would for
        `stage` (one consignment per order; delivered on a pickup order is collected)."""
        code = doc["code"]
        pickup = (doc.get("deliveryMode") or {}).get("code") == "pickup"
        doc["status"] = {"code": ORDER_STATUS_FOR[stage], "integrationKey": ORDER_STATUS_FOR[stage]}
        consignment_status = CONSIGNMENT_STATUS_FOR.get(stage)
        if stage is OrderStage.DELIVERED:
            consignment_status = "PICKUP_COMPLETE" if pickup else "DELIVERY_COMPLETED"
        if stage is OrderStage.CANCELLED:
            for consignment in doc.get("consignments", []):
                consignment["status"] = {"code": "CANCELLED", "integrationKey": "CANCELLED"}
        if consignment_status is None:
            return
        shipping = not pickup and consignment_status != "READY_FOR_PICKUP"
        doc["consignments"] = [
            simulate.consignment(
                f"{code}-1",
                consignment_status,
                tracking_id=f"1Z{code}" if shipping else None,
                carrier=CARRIER if shipping else None,
                pickup_store=PICKUP_STORE if pickup or stage is OrderStage.AWAITING_PICKUP else None,
                shipped_at=datetime.now(UTC) if shipping else None,
            )
        ]

    async def _refund_in_full(self, order_id: str, order: dict[str, Any]) -> httpx.Response:
        doc = simulate.return_request_document(
            self.store,
            f"{order_id}-R",
            order_id,
            status="PAYMENT_REVERSED",
            order_total=str(order.get("totalPrice", "0")),
            refund_amount=str(order.get("totalPrice", "0")),
            currency=(order.get("currency") or {}).get("isocode", "USD"),
            customer_id=(order.get("user") or {}).get("customerID", "7"),
            email=(order.get("user") or {}).get("contactEmail"),
            immediate=True,
        )
        await self.seeds.put("returns", doc["code"], doc)
        return await self.post(RETURN_IO, doc)

    async def abandon_cart(
        self,
        cart_id: str,
        *,
        customer_id: str = "7",
        email: str | None = "ada@example.com",
        amount: str = "129.00",
    ) -> httpx.Response:
        """The cart as the abandonment job leaves it (marked, just saved), and its webhook."""
        doc = simulate.cart_document(
            self.store,
            cart_id,
            customer_id=customer_id,
            email=email,
            amount=amount,
            abandoned_at=datetime.now(UTC),
        )
        await self.seeds.put("carts", cart_id, doc)
        return await self.post(CART_IO, doc)

    async def convert_cart(self, cart_id: str, order_id: str) -> httpx.Response:
        """Checkout removes the cart in SAP; the removal webhook names the cart, not the order."""
        await self.seeds.delete("carts", cart_id)
        doc = simulate.removed_cart_document(cart_id)
        return await self.post(CART_IO, doc, operation="Deleted", event="removed", site=self.store)

    async def open_case(self, case_id: str, order_id: str, kind: CaseKind, text: str) -> httpx.Response:
        try:
            order = (await self._order_view(order_id))["order"]
        except httpx.HTTPStatusError:
            # A case about an order Tidings never heard of: SAP has it all the same.
            order = simulate.order_document(self.store, order_id, status="COMPLETED")
            await self.seeds.put("orders", order_id, order)
        doc = simulate.return_request_document(
            self.store,
            case_id,
            order_id,
            status="APPROVAL_PENDING",
            order_total=str(order.get("totalPrice", "0")),
            customer_id=(order.get("user") or {}).get("customerID", "7"),
            email=(order.get("user") or {}).get("contactEmail"),
            notes=text,
            immediate=kind is CaseKind.REFUND,
        )
        await self.seeds.put("returns", case_id, doc)
        self._returns[case_id] = doc
        return await self.post(RETURN_IO, doc, operation="Created")

    async def close_case(self, case_id: str, order_id: str) -> httpx.Response:
        """The back office completes the return without a refund (an exchange, say)."""
        known = self._returns.get(case_id)
        if known is None:  # opened by another shop instance: the same return request, rebuilt
            known = simulate.return_request_document(self.store, case_id, order_id)
        doc = copy.deepcopy(known)
        doc["status"] = {"code": "COMPLETED", "integrationKey": "COMPLETED"}
        doc["refundAmount"] = "0"
        doc["modifiedtime"] = simulate.sap_date(datetime.now(UTC))
        await self.seeds.put("returns", case_id, doc)
        self._returns[case_id] = doc
        return await self.post(RETURN_IO, doc)

    async def post_with_bad_auth(self) -> httpx.Response:
        doc = simulate.order_document(self.store, "bad-auth-1")
        return await self.post(ORDER_IO, doc, password=f"{self.password}-wrong")

    async def post_malformed(self) -> httpx.Response:
        """An order save without its code: no TidingsOrder payload looks like that."""
        return await self.post(ORDER_IO, {"integrationKey": "x", "status": {"code": "CREATED"}})

    async def write_backs(self, order_id: str) -> list[str]:
        return [comment["text"] for comment in (await self._order_view(order_id))["comments"]]

    async def cancelled_in_platform(self, order_id: str) -> bool:
        return bool((await self._order_view(order_id))["cancellations"])
