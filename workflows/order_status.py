"""The order journey's input and its `status` query's answer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.events import OrderStage, Platform
from domain.notifications import MessageResult
from domain.policies import OrderPolicy
from workflows.messaging import WaitingMessage
from workflows.timeline import TimelineEntry


class OrderLifecycleInput(BaseModel):
    platform: Platform
    store: str
    order_id: str
    policy: OrderPolicy = Field(default_factory=OrderPolicy)


class OrderStatus(BaseModel):
    """What the `status` query answers: enough for an operator to understand the order at a glance."""

    workflow_id: str
    platform: Platform
    store: str
    order_id: str
    stage: OrderStage | None
    progress_stage: OrderStage | None
    closed: bool
    order_value: Decimal | None
    currency: str | None
    customer_id: str | None
    duplicates_ignored: int
    events_waiting: int  # received, not yet handled (0 and not busy: the journey is idle)
    busy: bool
    messages: list[MessageResult]
    waiting: list[WaitingMessage]  # messages held back (quiet hours) and until when
    timeline: list[TimelineEntry]
    ship_sla_due: datetime | None
    completes_at: datetime | None
