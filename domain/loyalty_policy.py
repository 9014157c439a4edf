"""The CustomerLifecycle's policy: which loyalty news a customer hears, on which channels, and when the
calendar-driven messages (reward expiry, birthday, win-back) are due.

Calendar dates (a reward's expiry, a birthday) are facts from the platform, not durations from
configuration, so `TIDINGS_TIME_SCALE` cannot shrink them directly. Instead the policy compresses
the *distance* to them: a timer that would run 30 days runs `30 days × time_scale`. A year between
birthdays is therefore 365 days × time_scale (0.00002 turns it into about ten minutes), which is how
the tests and the demo see a yearly timer fire without waiting a year.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from domain.notifications import Category, Channel, DeliveryPolicy
from domain.settings import Settings

DEFAULT_TIERS = ["bronze", "silver", "gold", "platinum", "diamond"]


def parse_birthday(value: str) -> tuple[int, int]:
    """ "MM-DD" → (month, day); ValueError naming what is wrong."""
    try:
        month_text, day_text = value.strip().split("-")
        month, day = int(month_text), int(day_text)
        datetime(2000, month, day)  # a leap year: 02-29 is a real birthday
    except ValueError:
        raise ValueError(f"birthday {value!r} is not a MM-DD date") from None
    return month, day


class LoyaltyPolicy(BaseModel):
    # Points earned is account-balance news the customer's own purchase caused (a "relationship"
    # message, like an order confirmation): transactional by default, so it needs no marketing
    # opt-in and counts against no marketing cap. A store that uses it to upsell can make it
    # marketing here. Everything promotional (reward expiry, birthday offer, win-back, suggestions)
    # is marketing and always honours consent, caps and quiet hours.
    points_category: Category = Category.TRANSACTIONAL
    points_channels: list[Channel] = Field(default_factory=lambda: [Channel.PUSH, Channel.EMAIL])
    tier_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.PUSH])
    tier_order: list[str] = Field(default_factory=lambda: list(DEFAULT_TIERS))  # lowest first
    announce_downgrades: bool = False  # a downgrade is recorded; telling people rarely helps
    reward_channels: list[Channel] = Field(default_factory=lambda: [Channel.PUSH, Channel.EMAIL])
    reward_lead: timedelta = timedelta(days=7)  # remind this long before a reward expires
    birthday_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.PUSH])
    birthday_hour: int = Field(default=9, ge=0, le=23)  # store-local hour the birthday offer goes out
    birthday_code: str | None = None
    winback_after: timedelta = timedelta(days=90)  # without an order
    winback_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL])
    winback_code: str | None = None
    suggestion_channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.PUSH])
    store_url: str = "https://store.example"
    events_per_run: int = Field(default=500, ge=1)  # continue-as-new after this many events
    time_scale: float = Field(default=1.0, gt=0)
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    @field_validator("tier_order")
    @classmethod
    def _lower_tiers(cls, value: list[str]) -> list[str]:
        return [tier.strip().lower() for tier in value]

    @classmethod
    def from_settings(cls, settings: Settings) -> LoyaltyPolicy:
        return cls(
            winback_after=timedelta(days=settings.winback_days),
            store_url=settings.store_url,
            delivery=settings.delivery_policy(),
        ).scaled(settings.time_scale)

    def scaled(self, factor: float) -> Self:
        """Compress every wait by `factor` (see the module docstring: calendar distances, too)."""
        return self.model_copy(update={"time_scale": self.time_scale * factor})

    def wait(self, calendar: timedelta) -> timedelta:
        """How long a timer runs for a calendar distance (never negative)."""
        return max(calendar, timedelta(0)) * self.time_scale

    def tier_rank(self, tier: str | None) -> int | None:
        if tier is None or tier.strip().lower() not in self.tier_order:
            return None
        return self.tier_order.index(tier.strip().lower())

    def is_upgrade(self, tier: str, previous: str | None) -> bool:
        """True for a move up, and for tiers the policy does not rank (announce rather than guess)."""
        new_rank, old_rank = self.tier_rank(tier), self.tier_rank(previous)
        if new_rank is None or old_rank is None:
            return True
        return new_rank > old_rank

    def next_birthday(self, birthday: str, after: datetime) -> datetime:
        """The first birthday moment (store-local `birthday_hour`) strictly after `after`. A 29 February
        birthday is celebrated on 28 February in other years."""
        month, day = parse_birthday(birthday)
        tz = ZoneInfo(self.delivery.store_time_zone)
        local = after.astimezone(tz)
        for year in (local.year, local.year + 1, local.year + 2):
            try:
                date = datetime(year, month, day)
            except ValueError:  # 29 February outside a leap year
                date = datetime(year, 2, 28)
            moment = datetime.combine(date.date(), time(self.birthday_hour), tzinfo=tz)
            if moment > after:
                return moment
        raise AssertionError("unreachable: a birthday comes round within two years")
