"""Who we message, what we ask the delivery activity to send, and what came of it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.events import OrderStage, Platform


class DeliveryPolicy(BaseModel):
    """How the delivery activity treats one message; travels in the request, from the journey's
    policy, so a run's rules are fixed in its history."""

    marketing_cap: int | None = 3  # marketing messages per customer and channel per window
    cap_window: timedelta = timedelta(days=7)
    max_sms_segments: int = 4
    quiet_hours_start: time = time(21, 0)  # recipient local time, unless their preferences say otherwise
    quiet_hours_end: time = time(8, 0)
    store_time_zone: str = "UTC"  # last resort when neither preferences nor the phone number tell
    default_region: str = "US"  # for national phone numbers without a country
    # The store's identity and defaults (per-store configuration; None: the global settings).
    default_locale: str = "en"  # for recipients whose platform record names no language
    from_name: str | None = None  # sender name on email
    opentext_account: str | None = None  # which OpenText account sends for the store


class Channel(StrEnum):
    PUSH = "push"
    SMS = "sms"
    EMAIL = "email"


class Category(StrEnum):
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"
    OPERATIONAL = "operational"


class Recipient(BaseModel):
    """A person or team and their addresses. Channels without an address are skipped."""

    customer_id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    push_token: str | None = None
    locale: str | None = None  # None: the platform did not say; the store's default applies
    time_zone: str | None = None
    country: str | None = None  # ISO 3166 alpha-2: the region a national phone number belongs to

    def address(self, channel: Channel) -> str | None:
        return {Channel.EMAIL: self.email, Channel.SMS: self.phone, Channel.PUSH: self.push_token}[channel]


class MessageRequest(BaseModel):
    """One message, in one activity call. `key` is deterministic (workflow id + step), so a
    retried activity, a replayed workflow or a new run of the same journey never sends twice."""

    key: str
    workflow_id: str
    journey: str  # template folder, e.g. "order"
    step: str  # template name inside it, e.g. "shipped"
    category: Category
    channels: list[Channel]
    recipient: Recipient
    context: dict[str, Any] = Field(default_factory=dict)
    customer_key: str | None = None  # "{platform}:{store}:{customer_id}": preferences and caps
    policy: DeliveryPolicy = Field(default_factory=lambda: DeliveryPolicy())
    now: datetime | None = None  # the workflow's clock: quiet hours are judged at this moment
    confirms_opt_out: bool = False  # the one SMS a STOP gets back: sent despite the opt-out


class MessageStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    DEFERRED = "deferred"  # quiet hours: not sent yet, due at `not_before`


class SkipCode(StrEnum):
    """Why a channel was passed over, for workflows to branch on (the reason says it for people)."""

    NO_ADDRESS = "no_address"
    INVALID_ADDRESS = "invalid_address"
    OPTED_OUT = "opted_out"
    NO_OPT_IN = "no_opt_in"
    CAPPED = "capped"
    TOO_LONG = "too_long"
    REJECTED = "rejected"  # a permanent provider failure


CONSENT_CODES = frozenset({SkipCode.OPTED_OUT, SkipCode.NO_OPT_IN})


class ChannelAttempt(BaseModel):
    channel: Channel
    outcome: str  # "sent", "skipped", "failed"
    reason: str | None = None
    code: SkipCode | None = None


class MessageResult(BaseModel):
    key: str
    status: MessageStatus
    channel: Channel | None = None
    job_id: str | None = None
    reason: str | None = None
    segments: int | None = None
    attempts: list[ChannelAttempt] = Field(default_factory=list)
    duplicate: bool = False  # True when the ledger already had this key
    not_before: datetime | None = None  # for DEFERRED: when quiet hours end

    def refused_by_consent(self) -> bool:
        """Nothing sent, and every channel that had an address said no for consent reasons."""
        tried = [a for a in self.attempts if a.code is not SkipCode.NO_ADDRESS]
        return (
            self.status is MessageStatus.SUPPRESSED
            and bool(tried)
            and all(a.code in CONSENT_CODES for a in tried)
        )


class OrderLine(BaseModel):
    product_id: str | None = None
    name: str
    sku: str | None = None
    quantity: int = 1
    price: Decimal = Decimal(0)
    image_url: str | None = None
    brand: str | None = None  # where the platform's order line says (brand affinity segments)


class Shipment(BaseModel):
    shipment_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_link: str | None = None
    shipping_method: str | None = None


class OrderSnapshot(BaseModel):
    """What hydration read from the platform: everything a notification about the order needs."""

    platform: Platform
    store: str
    order_id: str
    platform_status: str
    stage: OrderStage
    customer: Recipient
    total: Decimal
    currency: str
    created_at: datetime | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    shipments: list[Shipment] = Field(default_factory=list)
    shipping_city: str | None = None
    estimated_delivery: datetime | None = None  # the platform's current delivery estimate, if it keeps one
    # The platform's customer groups the buyer belongs to (names and ids): VIP alerts match on them.
    customer_groups: list[str] = Field(default_factory=list)


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryReceipt(BaseModel):
    """One delivery outcome OpenText reports (status webhook or status poll), in our terms."""

    job_id: str
    message_key: str | None = None  # our key, echoed back as customer_reference
    channel: Channel
    address: str | None = None
    state: DeliveryState
    detail: str | None = None
    occurred_at: datetime | None = None
    opted_out: bool = False  # an email opt-out event (the recipient unsubscribed)


class InboundMessage(BaseModel):
    """A customer's message to us: an SMS reply, an email reply or a push action."""

    channel: Channel
    sender: str  # the customer's address: E.164 phone, email, or push token
    text: str
    received_at: datetime
    to: str | None = None  # our sender id / short code / reply address
    provider_message_id: str | None = None
    reference: str | None = None  # the message key replied to, when the provider tells us
    action: str | None = None  # a push action id ("GOT_IT", "HERE" …)


class CartLine(BaseModel):
    product_id: str | None = None
    name: str
    sku: str | None = None
    quantity: int = 1
    price: Decimal = Decimal(0)  # per item, as the shopper sees it
    image_url: str | None = None
    url: str | None = None


class CartSnapshot(BaseModel):
    """What hydration read about an abandoned cart: enough to remind the shopper of it."""

    platform: Platform
    store: str
    cart_id: str
    customer: Recipient  # customer_id None and no addresses: nobody to remind
    lines: list[CartLine] = Field(default_factory=list)
    total: Decimal = Decimal(0)
    currency: str = "USD"
    checkout_url: str | None = None
    updated_at: datetime | None = None


class ProductInfo(BaseModel):
    """Catalog facts the post-purchase journeys need: categories (review timing) and whether the
    product is consumable with a replenishment cycle (reorder reminders)."""

    product_id: str
    name: str
    sku: str | None = None
    categories: list[str] = Field(default_factory=list)
    url: str | None = None
    image_url: str | None = None
    replenish_days: int | None = None  # set for consumables: days one unit lasts
    brand: str | None = None  # brand-affinity segments (from the order's products)
