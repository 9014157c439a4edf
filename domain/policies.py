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


class CartStep(BaseModel):
    """One message of an abandoned-cart sequence, `after` the cart was abandoned (or last updated)."""

    name: str  # template step: first_reminder, cart_contents, incentive
    after: timedelta
    channels: list[Channel]
    min_cart_value: Decimal | None = None  # skip the step below this cart value
    incentive: bool = False  # carries the store's incentive code; skipped when incentives are off


def _default_cart_steps() -> list[CartStep]:
    return [
        CartStep(name="first_reminder", after=timedelta(hours=1), channels=[Channel.PUSH, Channel.EMAIL]),
        CartStep(name="cart_contents", after=timedelta(hours=24), channels=[Channel.EMAIL]),
        CartStep(
            name="incentive",
            after=timedelta(hours=72),
            channels=[Channel.SMS],
            min_cart_value=Decimal(100),
            incentive=True,
        ),
    ]


class SequenceRule(BaseModel):
    """Carts at or above `min_cart_value` (and, when set, of customers in `segment`) follow `steps`."""

    min_cart_value: Decimal = Decimal(0)
    segment: str | None = None
    steps: list[CartStep]


class CartPolicy(BaseModel):
    steps: list[CartStep] = Field(default_factory=_default_cart_steps)
    rules: list[SequenceRule] = Field(default_factory=list)  # first match wins, else `steps`
    incentive_enabled: bool = False
    incentive_code: str | None = None
    expire_after: timedelta = timedelta(days=7)  # after the last step: no conversion means expired
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def sequence_for(self, cart_value: Decimal, segment: str | None = None) -> list[CartStep]:
        for rule in self.rules:
            if cart_value >= rule.min_cart_value and (rule.segment is None or rule.segment == segment):
                return rule.steps
        return self.steps

    def scaled(self, factor: float) -> CartPolicy:
        def scale(steps: list[CartStep]) -> list[CartStep]:
            return [step.model_copy(update={"after": step.after * factor}) for step in steps]

        return self.model_copy(
            update={
                "steps": scale(self.steps),
                "rules": [rule.model_copy(update={"steps": scale(rule.steps)}) for rule in self.rules],
                "expire_after": self.expire_after * factor,
            }
        )
