"""The canonical commerce event every connector parses its platform's payloads into."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Platform(StrEnum):
    BIGCOMMERCE = "bigcommerce"
    SFCC = "sfcc"
    SAP_COMMERCE = "sap-commerce"


class EventType(StrEnum):
    """What happened, platform-neutral. Connectors map their scopes/event names onto these."""

    ORDER_CREATED = "order.created"
    ORDER_STATUS_CHANGED = "order.status_changed"
    ORDER_UPDATED = "order.updated"
    ORDER_ARCHIVED = "order.archived"
    ORDER_REFUNDED = "order.refunded"
    SHIPMENT_CREATED = "shipment.created"
    SHIPMENT_UPDATED = "shipment.updated"
    CART_CREATED = "cart.created"
    CART_UPDATED = "cart.updated"
    CART_ABANDONED = "cart.abandoned"
    CART_CONVERTED = "cart.converted"
    CART_DELETED = "cart.deleted"
    PICKUP_WINDOW_CHANGED = "pickup.window_changed"
    CASE_OPENED = "case.opened"
    CASE_UPDATED = "case.updated"  # refund issued, replacement shipped, a note from the team …
    CASE_CLOSED = "case.closed"
    REVIEW_SUBMITTED = "review.submitted"


class OrderStage(StrEnum):
    """Canonical order stages. Progress stages have a rank (see `PROGRESS_RANK`); the others are
    exceptions recorded beside the progress path."""

    INCOMPLETE = "incomplete"
    PLACED = "placed"
    PAYMENT_CONFIRMED = "payment_confirmed"
    AWAITING_SHIPMENT = "awaiting_shipment"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    AWAITING_PICKUP = "awaiting_pickup"
    PAYMENT_FAILED = "payment_failed"
    FRAUD_REVIEW = "fraud_review"
    ON_HOLD = "on_hold"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


# Monotonic progress: a stage is announced only when it ranks above the order's current progress.
PROGRESS_RANK: dict[OrderStage, int] = {
    OrderStage.INCOMPLETE: 0,
    OrderStage.PLACED: 10,
    OrderStage.PAYMENT_CONFIRMED: 20,
    OrderStage.AWAITING_SHIPMENT: 30,
    OrderStage.AWAITING_PICKUP: 35,
    OrderStage.PARTIALLY_SHIPPED: 40,
    OrderStage.SHIPPED: 50,
    OrderStage.OUT_FOR_DELIVERY: 55,
    OrderStage.DELIVERED: 60,
}

# After these the order is closed: later progress is recorded, never announced.
CLOSING_STAGES = frozenset({OrderStage.CANCELLED, OrderStage.REFUNDED})


class CustomerRef(BaseModel):
    """Who the event is about, as far as the webhook tells (thin payloads may say nothing)."""

    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    locale: str | None = None


class OrderPayload(BaseModel):
    order_id: str
    stage: OrderStage | None = None  # None: the connector could not tell; hydration decides
    previous_stage: OrderStage | None = None
    platform_status: str | None = None  # the platform's own status value, for the timeline
    shipment_id: str | None = None
    refund_id: str | None = None


class CartPayload(BaseModel):
    cart_id: str
    order_id: str | None = None  # set when the cart converted into an order


class CaseKind(StrEnum):
    RETURN_REQUEST = "return_request"
    REFUND = "refund"
    DELIVERY_DISPUTE = "delivery_dispute"
    CUSTOMER_MESSAGE = "customer_message"


class CasePayload(BaseModel):
    case_id: str
    kind: CaseKind
    order_id: str | None = None
    subject: str | None = None
    detail: str | None = None  # what happened: the customer's message, "refund issued", …


class CommerceEvent(BaseModel):
    """One platform event, platform-neutral. `event_id` is the platform's dedupe key."""

    event_id: str
    platform: Platform
    store: str
    type: EventType
    occurred_at: datetime
    customer: CustomerRef = Field(default_factory=CustomerRef)
    order: OrderPayload | None = None
    cart: CartPayload | None = None
    case: CasePayload | None = None
    raw_scope: str = ""  # the platform's own name for the event (scope, event_type …)
    extra: dict[str, Any] = Field(default_factory=dict)

    def workflow_id(self) -> str:
        """The business key of the journey this event belongs to."""
        if self.case is not None:
            return case_workflow_id(self.platform, self.store, self.case.case_id)
        if self.cart is not None:
            return cart_workflow_id(self.platform, self.store, self.cart.cart_id)
        if self.order is not None:
            return order_workflow_id(self.platform, self.store, self.order.order_id)
        raise ValueError(f"event {self.event_id} of type {self.type} has no journey")


def order_workflow_id(platform: Platform | str, store: str, order_id: str) -> str:
    return f"order:{Platform(platform).value}:{store}:{order_id}"


def cart_workflow_id(platform: Platform | str, store: str, cart_id: str) -> str:
    return f"cart:{Platform(platform).value}:{store}:{cart_id}"


def pickup_workflow_id(platform: Platform | str, store: str, order_id: str) -> str:
    return f"pickup:{Platform(platform).value}:{store}:{order_id}"


def review_workflow_id(platform: Platform | str, store: str, order_id: str) -> str:
    return f"review:{Platform(platform).value}:{store}:{order_id}"


def case_workflow_id(platform: Platform | str, store: str, case_id: str) -> str:
    return f"case:{Platform(platform).value}:{store}:{case_id}"
