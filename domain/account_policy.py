"""The account-messages policy: channels per message, which messages are security-sensitive, how
long before a payment method expires the customer hears of it, and how long a message waits for the
customer to acknowledge it."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from domain.notifications import Channel, DeliveryPolicy
from domain.settings import Settings


def _default_channels() -> dict[str, list[Channel]]:
    # Links (verification, reset) belong in the inbox they were asked for; news about the account
    # can also go to the customer's device.
    return {
        "registered": [Channel.EMAIL, Channel.PUSH],
        "verification": [Channel.EMAIL, Channel.SMS],
        "password_reset": [Channel.EMAIL, Channel.SMS],
        "profile_changed": [Channel.EMAIL, Channel.PUSH, Channel.SMS],
        "security_changed": [Channel.EMAIL, Channel.SMS],
        "address_changed": [Channel.EMAIL, Channel.PUSH, Channel.SMS],
        "payment_method_expiring": [Channel.EMAIL, Channel.PUSH, Channel.SMS],
        "refund_completed": [Channel.EMAIL, Channel.PUSH, Channel.SMS],
    }


class AccountPolicy(BaseModel):
    channels: dict[str, list[Channel]] = Field(default_factory=_default_channels)
    default_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.SMS])
    # Sent on every channel of the step, not only the first that works: someone who took over the
    # mailbox must not be able to hide that the account's security changed.
    every_channel: list[str] = Field(default_factory=lambda: ["security_changed"])
    # Messages that ask for an answer ("not you? reply NO"): an SMS or email reply without a
    # reference finds them through a conversation. Push actions carry the message key and need none.
    reply_steps: list[str] = Field(
        default_factory=lambda: ["password_reset", "security_changed", "payment_method_expiring"]
    )
    expiry_lead: timedelta = timedelta(days=14)  # tell this long before a payment method expires
    ack_wait: timedelta = timedelta(days=7)  # no acknowledgment by then: the journey ends
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def channels_for(self, step: str) -> list[Channel]:
        return self.channels.get(step, self.default_channels)

    def scaled(self, factor: float) -> AccountPolicy:
        """Compress every duration (`TIDINGS_TIME_SCALE`)."""
        return self.model_copy(
            update={"expiry_lead": self.expiry_lead * factor, "ack_wait": self.ack_wait * factor}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountPolicy:
        """The policy for one store (`settings.for_store(...)`), time scale applied."""
        delivery = settings.delivery_policy()
        return cls(delivery=delivery).scaled(settings.time_scale)
