"""A customer's messaging preferences, and the quiet-hours arithmetic the delivery layer uses."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from domain.notifications import Channel


class QuietHours(BaseModel):
    """A nightly window in the recipient's local time; it may wrap past midnight (21:00–08:00)."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, local: datetime) -> datetime:
        """The first moment at or after `local` (an aware local datetime) outside the window."""
        if not self.contains(local.timetz().replace(tzinfo=None)):
            return local
        end = local.replace(
            hour=self.end.hour,
            minute=self.end.minute,
            second=self.end.second,
            microsecond=self.end.microsecond,
        )
        if end <= local:
            end += timedelta(days=1)
        return end


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


class Preferences(BaseModel):
    """What the preferences API reads and writes. Addresses here override what the platform knows."""

    email: str | None = None
    phone: str | None = None
    push_token: str | None = None
    channels: list[Channel] | None = None  # the customer's preferred order; None: the journey's own
    marketing_opt_in: list[Channel] = Field(default_factory=list)  # explicit opt-in, per channel
    locale: str | None = None
    time_zone: str | None = None
    quiet_hours: QuietHours | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @field_validator("email")
    @classmethod
    def _plausible_email(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError(f"{value!r} is not an email address")
        return value
