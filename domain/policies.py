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
        OrderStage.DELIVERY_FAILED,
        OrderStage.RETURNED_TO_SENDER,
        OrderStage.ADDRESS_PROBLEM,
    }
)

# Stages the operations team hears about, whatever the order's value.
DEFAULT_OPS_STAGES: frozenset[OrderStage] = frozenset({OrderStage.FRAUD_REVIEW, OrderStage.DISPUTED})


class OrderPolicy(BaseModel):
    # Push first: a customer with a push token (preferences, or the platform's app registration)
    # hears it on the phone; without one the channel has no address and the next one carries it.
    channels: list[Channel] = Field(default_factory=lambda: [Channel.PUSH, Channel.EMAIL, Channel.SMS])
    # Time-critical news goes by SMS before email. A missing address falls through.
    channels_by_stage: dict[OrderStage, list[Channel]] = Field(
        default_factory=lambda: {
            stage: [Channel.PUSH, Channel.SMS, Channel.EMAIL]
            for stage in (
                OrderStage.SHIPPED,
                OrderStage.OUT_FOR_DELIVERY,
                OrderStage.DELIVERED,
                # the customer has to act, soon: re-arrange a delivery, fix the address
                OrderStage.DELIVERY_FAILED,
                OrderStage.RETURNED_TO_SENDER,
                OrderStage.ADDRESS_PROBLEM,
            )
        }
    )
    # The store asked for the order confirmation on email and SMS both (two messages, no push).
    confirmation_both: bool = False
    announced_stages: frozenset[OrderStage] = DEFAULT_ANNOUNCED
    ops_stages: frozenset[OrderStage] = DEFAULT_OPS_STAGES
    high_value_threshold: Decimal = Decimal(1000)
    ship_sla: timedelta = timedelta(hours=48)
    grace_after_close: timedelta = timedelta(days=3)  # > BigCommerce's 48 h of webhook retries
    max_open: timedelta = timedelta(days=120)  # an order that never settles still ends
    ops_team: Recipient = Field(default_factory=lambda: Recipient(name="Operations", email="ops@example.com"))
    ops_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.SMS])
    # High-value orders and expedited-shipping requests go to the account team when one is set.
    account_team: Recipient | None = None
    account_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL])
    expedited_methods: list[str] = Field(
        default_factory=lambda: ["express", "expedited", "overnight", "next day", "next-day", "priority"]
    )
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)
    pickup: PickupPolicy = Field(default_factory=lambda: PickupPolicy())
    review: ReviewPolicy = Field(default_factory=lambda: ReviewPolicy())

    def expedited(self, shipping_methods: list[str]) -> str | None:
        """The first shipping method that asks for speed (matched by name, case-insensitively)."""
        for method in shipping_methods:
            if any(word in method.lower() for word in self.expedited_methods):
                return method
        return None

    def channels_for(self, stage: OrderStage) -> list[Channel]:
        return self.channels_by_stage.get(stage, self.channels)

    def scaled(self, factor: float) -> OrderPolicy:
        """Compress every duration (`TIDINGS_TIME_SCALE`): 0.001 turns 48 h into under 3 min."""
        return self.model_copy(
            update={
                "ship_sla": self.ship_sla * factor,
                "grace_after_close": self.grace_after_close * factor,
                "max_open": self.max_open * factor,
                "pickup": self.pickup.scaled(factor),
                "review": self.review.scaled(factor),
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
        CartStep(name="cart_contents", after=timedelta(hours=24), channels=[Channel.PUSH, Channel.EMAIL]),
        CartStep(
            name="incentive",
            after=timedelta(hours=72),
            channels=[Channel.PUSH, Channel.SMS],
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


class PickupPolicy(BaseModel):
    hold_for: timedelta = timedelta(days=5)  # the pickup deadline, from when the order is ready
    reminders_before: list[timedelta] = Field(
        default_factory=lambda: [timedelta(hours=24), timedelta(hours=2)]
    )
    location: str = "our store"
    cancel_on_expiry: bool = True  # False: only alert the store team
    channels: list[Channel] = Field(default_factory=lambda: [Channel.PUSH, Channel.SMS, Channel.EMAIL])
    store_team: Recipient = Field(
        default_factory=lambda: Recipient(name="Store team", email="store@example.com")
    )
    store_team_channels: list[Channel] = Field(
        default_factory=lambda: [Channel.PUSH, Channel.SMS, Channel.EMAIL]
    )
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def scaled(self, factor: float) -> PickupPolicy:
        return self.model_copy(
            update={
                "hold_for": self.hold_for * factor,
                "reminders_before": [before * factor for before in self.reminders_before],
            }
        )


class ReviewPolicy(BaseModel):
    default_delay: timedelta = timedelta(days=7)
    delay_by_category: dict[str, timedelta] = Field(
        default_factory=lambda: {"electronics": timedelta(days=14), "apparel": timedelta(days=7)}
    )
    reminder_after: timedelta | None = timedelta(days=5)  # one reminder unless reviewed
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.PUSH])
    store_url: str = "https://store.example"  # product and reorder links
    reorder_url: str | None = None  # the storefront's add-to-cart link template; None: the platform's own
    replenishment: bool = True
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)
    time_scale: float = 1.0  # replenishment cycles are catalog data, scaled with the policy's delays

    def delay_for(self, categories: list[str]) -> timedelta:
        """The longest wait any of the order's categories asks for (a case is judged once used)."""
        delays = [
            self.delay_by_category[c.lower()] for c in categories if c.lower() in self.delay_by_category
        ]
        return max(delays, default=self.default_delay)

    def scaled(self, factor: float) -> ReviewPolicy:
        return self.model_copy(
            update={
                "default_delay": self.default_delay * factor,
                "delay_by_category": {k: v * factor for k, v in self.delay_by_category.items()},
                "reminder_after": self.reminder_after * factor if self.reminder_after else None,
                "time_scale": self.time_scale * factor,
            }
        )


OrderPolicy.model_rebuild()


class ReplyOption(BaseModel):
    """One answer a case offers: what the customer types (or the push action id) and what it means."""

    answer: str  # "1", "2" … (push action ids are the same strings)
    meaning: str  # machine name: confirm, agent …
    label: str  # what the customer reads


def _default_options() -> list[ReplyOption]:
    return [
        ReplyOption(answer="1", meaning="confirm", label="confirm the proposed next step"),
        ReplyOption(answer="2", meaning="agent", label="talk to an agent"),
    ]


class CasePolicy(BaseModel):
    options: list[ReplyOption] = Field(default_factory=_default_options)
    channels: list[Channel] = Field(default_factory=lambda: [Channel.SMS, Channel.EMAIL, Channel.PUSH])
    reply_window: timedelta = timedelta(hours=48)  # no answer by then: a reminder
    escalate_after: timedelta = timedelta(hours=48)  # after the reminder: the service team takes over
    max_open: timedelta = timedelta(days=30)
    service_team: Recipient = Field(
        default_factory=lambda: Recipient(name="Service team", email="service@example.com")
    )
    service_team_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.SMS])
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def option_for(self, said: str) -> ReplyOption | None:
        word = said.strip().strip(".!#").upper()
        return next((o for o in self.options if o.answer.upper() == word or o.meaning.upper() == word), None)

    def scaled(self, factor: float) -> CasePolicy:
        return self.model_copy(
            update={
                "reply_window": self.reply_window * factor,
                "escalate_after": self.escalate_after * factor,
                "max_open": self.max_open * factor,
            }
        )
