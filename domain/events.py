"""The canonical commerce event every connector parses its platform's payloads into."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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
    # Products (ProductWatch, `product:` ids)
    INVENTORY_CHANGED = "product.inventory_changed"
    PRICE_CHANGED = "product.price_changed"
    PRODUCT_WATCHED = "product.watched"  # a wishlist/cart add or a subscription: tell this customer
    RESERVATION_EXPIRING = "product.reservation_expiring"
    # Account and security messages (AccountMessage, `account:` ids): transactional, sent at once
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_VERIFICATION = "account.verification"
    PASSWORD_RESET = "account.password_reset"
    PROFILE_CHANGED = "account.profile_changed"
    SECURITY_CHANGED = "account.security_changed"
    ADDRESS_CHANGED = "account.address_changed"
    PAYMENT_METHOD_EXPIRING = "account.payment_method_expiring"
    REFUND_COMPLETED = "account.refund_completed"
    # Loyalty and win-back (CustomerLifecycle, `customer:` ids)
    CUSTOMER_UPDATED = "customer.updated"  # profile facts the lifecycle uses: birthday, tier …
    POINTS_EARNED = "loyalty.points_earned"
    REWARD_EXPIRING = "loyalty.reward_expiring"
    TIER_CHANGED = "loyalty.tier_changed"
    PRODUCT_SUGGESTIONS = "customer.suggestions"  # complementary products the platform picked
    # Operations alerts (OpsAlerts, `alerts:` ids)
    OPS_ALERT = "ops.alert"


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
    # Carrier and address exceptions: the customer must act (re-arrange, collect, correct the address).
    DELIVERY_FAILED = "delivery_failed"  # a delivery attempt failed; the carrier will retry or hold it
    RETURNED_TO_SENDER = "returned_to_sender"  # refused or undeliverable: the parcel goes back
    ADDRESS_PROBLEM = "address_problem"  # the shipping address failed validation


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


class WatchKind(StrEnum):
    BACK_IN_STOCK = "back_in_stock"
    PRICE_DROP = "price_drop"


class ProductPayload(BaseModel):
    """A SKU's stock or price as the platform reports it after the change (None: not reported)."""

    sku: str
    product_id: str | None = None
    name: str | None = None
    available: int | None = None  # quantity available to sell
    previous_available: int | None = None
    price: Decimal | None = None
    previous_price: Decimal | None = None
    currency: str | None = None
    url: str | None = None
    watch: WatchKind | None = None  # PRODUCT_WATCHED: what the customer wants to hear about
    channel: str | None = None  # PRODUCT_WATCHED: the channel the customer asked for
    reserved_until: datetime | None = None  # RESERVATION_EXPIRING


class AccountPayload(BaseModel):
    """An account, security or loyalty fact about one customer (`CommerceEvent.customer` says who)."""

    customer_id: str
    detail: str | None = None  # what changed: "email", "password", "address Home" …
    link: str | None = None  # verification / reset link the platform issued
    expires_at: datetime | None = None  # payment method or reward expiry
    amount: Decimal | None = None  # refund completed, reward value
    currency: str | None = None
    points: int | None = None  # points earned by this event
    balance: int | None = None  # points balance after it
    tier: str | None = None
    previous_tier: str | None = None
    birthday: str | None = None  # "MM-DD"
    products: list[str] = Field(default_factory=list)  # suggestions: product names or SKUs


class AlertKind(StrEnum):
    INVENTORY_LOW = "inventory_low"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    CATALOG_UPDATE_FAILED = "catalog_update_failed"
    CHECKOUT_FAILED = "checkout_failed"
    PAYMENT_GATEWAY_ERROR = "payment_gateway_error"
    PROMOTION_MISCONFIGURED = "promotion_misconfigured"
    CANCELLATION = "cancellation"  # counted: a spike above policy in the window alerts
    HIGH_VALUE_ORDER = "high_value_order"
    VIP_PURCHASE = "vip_purchase"
    EXPEDITED_SHIPPING = "expedited_shipping"


class AlertPayload(BaseModel):
    """Something an internal team must hear about. Alerts with the same `key` in one window are
    one digest with a count."""

    kind: AlertKind
    key: str  # e.g. "payment_gateway_error:stripe"; defaults to the kind
    detail: str | None = None
    order_id: str | None = None
    sku: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


ACCOUNT_MESSAGE_TYPES = frozenset(
    {
        EventType.ACCOUNT_REGISTERED,
        EventType.ACCOUNT_VERIFICATION,
        EventType.PASSWORD_RESET,
        EventType.PROFILE_CHANGED,
        EventType.SECURITY_CHANGED,
        EventType.ADDRESS_CHANGED,
        EventType.PAYMENT_METHOD_EXPIRING,
        EventType.REFUND_COMPLETED,
    }
)


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
    product: ProductPayload | None = None
    account: AccountPayload | None = None  # account messages and loyalty (see ACCOUNT_MESSAGE_TYPES)
    alert: AlertPayload | None = None
    raw_scope: str = ""  # the platform's own name for the event (scope, event_type …)
    extra: dict[str, Any] = Field(default_factory=dict)

    def workflow_id(self) -> str:
        """The business key of the journey this event belongs to."""
        if self.type is EventType.REVIEW_SUBMITTED and self.order is not None:
            return review_workflow_id(self.platform, self.store, self.order.order_id)
        if self.case is not None:
            return case_workflow_id(self.platform, self.store, self.case.case_id)
        if self.cart is not None:
            return cart_workflow_id(self.platform, self.store, self.cart.cart_id)
        if self.order is not None:
            return order_workflow_id(self.platform, self.store, self.order.order_id)
        if self.product is not None:
            return product_workflow_id(self.platform, self.store, self.product.sku)
        if self.alert is not None:
            return alerts_workflow_id(self.platform, self.store, self.alert.key)
        if self.account is not None:
            if self.type in ACCOUNT_MESSAGE_TYPES:
                return account_workflow_id(self.platform, self.store, self.account.customer_id, self.event_id)
            return customer_workflow_id(self.platform, self.store, self.account.customer_id)
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


def product_workflow_id(platform: Platform | str, store: str, sku: str) -> str:
    return f"product:{Platform(platform).value}:{store}:{sku}"


def customer_workflow_id(platform: Platform | str, store: str, customer_id: str) -> str:
    return f"customer:{Platform(platform).value}:{store}:{customer_id}"


def account_workflow_id(platform: Platform | str, store: str, customer_id: str, event_id: str) -> str:
    return f"account:{Platform(platform).value}:{store}:{customer_id}:{event_id}"


def alerts_workflow_id(platform: Platform | str, store: str, key: str) -> str:
    return f"alerts:{Platform(platform).value}:{store}:{key}"


def campaign_workflow_id(store: str, campaign_id: str) -> str:
    return f"campaign:{store}:{campaign_id}"
