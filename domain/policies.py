"""Policies travel in a workflow's input, so a run's timings and thresholds are fixed in its history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.events import OrderStage
from domain.notifications import Channel, DeliveryPolicy, Recipient

# Stages a customer hears about by default. Awaiting pickup belongs to the pickup journey.
DEFAULT_ANNOUNCED: frozenset[OrderStage] = frozenset(
    {
        OrderStage.PLACED,
        OrderStage.PAYMENT_CONFIRMED,
        OrderStage.AWAITING_SHIPMENT,
        OrderStage.PARTIALLY_SHIPPED,
        OrderStage.SHIPPED,
        OrderStage.OUT_FOR_DELIVERY,
        OrderStage.DELIVERED,
        OrderStage.PAYMENT_FAILED,
        OrderStage.FRAUD_REVIEW,
        OrderStage.ON_HOLD,
        OrderStage.DISPUTED,
        OrderStage.CANCELLED,
        OrderStage.REFUNDED,
        OrderStage.PARTIALLY_REFUNDED,
    }
)

# Stages the operations team hears about, whatever the order's value.
DEFAULT_OPS_STAGES: frozenset[OrderStage] = frozenset({OrderStage.FRAUD_REVIEW, OrderStage.DISPUTED})


class OrderPolicy(BaseModel):
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.SMS])
    # Time-critical news goes by SMS first; the rest by email. A missing address falls through.
    channels_by_stage: dict[OrderStage, list[Channel]] = Field(
        default_factory=lambda: {
            stage: [Channel.SMS, Channel.EMAIL]
            for stage in (OrderStage.SHIPPED, OrderStage.OUT_FOR_DELIVERY, OrderStage.DELIVERED)
        }
    )
    announced_stages: frozenset[OrderStage] = DEFAULT_ANNOUNCED
    ops_stages: frozenset[OrderStage] = DEFAULT_OPS_STAGES
    high_value_threshold: Decimal = Decimal(1000)
    ship_sla: timedelta = timedelta(hours=48)
    grace_after_close: timedelta = timedelta(days=3)  # > BigCommerce's 48 h of webhook retries
    max_open: timedelta = timedelta(days=120)  # an order that never settles still ends
    ops_team: Recipient = Field(default_factory=lambda: Recipient(name="Operations", email="ops@example.com"))
    ops_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.SMS])
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def channels_for(self, stage: OrderStage) -> list[Channel]:
        return self.channels_by_stage.get(stage, self.channels)

    def scaled(self, factor: float) -> OrderPolicy:
        """Compress every duration (`TIDINGS_TIME_SCALE`): 0.001 turns 48 h into under 3 min."""
        return self.model_copy(
            update={
                "ship_sla": self.ship_sla * factor,
                "grace_after_close": self.grace_after_close * factor,
                "max_open": self.max_open * factor,
            }
        )
