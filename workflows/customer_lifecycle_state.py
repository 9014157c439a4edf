"""CustomerLifecycle's models: its input, the state it carries across continue-as-new, its status, and
the pure reading of amounts the platform sends loosely typed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, Field

from domain.events import CommerceEvent, Platform
from domain.loyalty_policy import LoyaltyPolicy
from domain.notifications import MessageRequest, MessageResult
from workflows.messaging import WaitingMessage
from workflows.timeline import TimelineEntry

SEEN_EVENT_MEMORY = 200
RECENT_ORDERS = 50  # order ids remembered, so one order fanned out twice counts once
RECENT_MESSAGES = 30  # carried into the next run for the status query and receipts
RECENT_TIMELINE = 50


class CustomerProfile(BaseModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    country: str | None = None
    tier: str | None = None
    birthday: str | None = None  # "MM-DD"
    points_balance: int | None = None


class PendingReward(BaseModel):
    reward: str  # its identity: the platform's name for it, else its expiry
    name: str | None = None  # the platform's name for it, for the message
    expires_at: datetime
    remind_at: datetime  # when the reminder is due (time-scaled)
    amount: Decimal | None = None
    currency: str | None = None
    link: str | None = None


class HeldMessage(BaseModel):
    """A message quiet hours held back: sent again at `not_before`."""

    request: MessageRequest
    not_before: datetime
    reason: str


class LifecycleState(BaseModel):
    """Everything a run hands to the next one when it continues-as-new."""

    profile: CustomerProfile = Field(default_factory=CustomerProfile)
    orders_count: int = 0
    recent_orders: list[str] = Field(default_factory=list)
    last_order_at: datetime | None = None
    total_spent: Decimal | None = None
    products: list[str] = Field(default_factory=list)  # bought: SKUs, ids, names (most recent last)
    brands: list[str] = Field(default_factory=list)
    winback_due: datetime | None = None
    winback_sent_for: datetime | None = None  # the last order whose lapse was already won back
    birthday_occurrence: datetime | None = None  # the next birthday, calendar time
    birthday_due: datetime | None = None  # when its message goes out (time-scaled)
    rewards: list[PendingReward] = Field(default_factory=list)
    held: list[HeldMessage] = Field(default_factory=list)
    seen: list[str] = Field(default_factory=list)
    pending: list[CommerceEvent] = Field(default_factory=list)  # received, not handled yet
    messages: list[MessageResult] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    runs: int = 1


class CustomerLifecycleInput(BaseModel):
    platform: Platform
    store: str
    customer_id: str
    policy: LoyaltyPolicy = Field(default_factory=LoyaltyPolicy)
    state: LifecycleState | None = None  # set by continue-as-new


class LifecycleStatus(BaseModel):
    workflow_id: str
    customer_id: str
    stage: str  # no_orders, active, lapsed
    profile: CustomerProfile
    orders_count: int
    last_order_at: datetime | None
    next_birthday: datetime | None
    birthday_due: datetime | None
    winback_due: datetime | None
    rewards: list[PendingReward]
    waiting: list[WaitingMessage]
    messages: list[MessageResult]
    timeline: list[TimelineEntry]
    runs: int
    events_this_run: int


def decimal_or_none(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
