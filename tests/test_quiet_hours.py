"""Quiet-hours arithmetic in the recipient's local time."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from activities.addressing import recipient_time_zone
from domain.preferences import QuietHours

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 23, 23, 30, tzinfo=BERLIN), datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)),
        (datetime(2026, 11, 24, 6, 15, tzinfo=BERLIN), datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)),
        (datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN), datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)),
        (datetime(2026, 11, 24, 14, 0, tzinfo=BERLIN), datetime(2026, 11, 24, 14, 0, tzinfo=BERLIN)),
    ],
    ids=["23:30 waits for 08:00", "06:15 waits", "08:00 sharp is allowed", "afternoon is allowed"],
)
def test_a_window_across_midnight(local: datetime, expected: datetime) -> None:
    assert QuietHours(start=time(21), end=time(8)).ends_after(local) == expected


def test_a_daytime_window() -> None:
    quiet = QuietHours(start=time(12), end=time(14))
    assert quiet.ends_after(datetime(2026, 11, 24, 13, 0, tzinfo=BERLIN)).hour == 14
    assert quiet.ends_after(datetime(2026, 11, 24, 15, 0, tzinfo=BERLIN)).hour == 15


def test_the_time_zone_comes_from_preferences_then_the_phone_then_the_store() -> None:
    assert recipient_time_zone("Asia/Tokyo", "+4930123456", "UTC") == "Asia/Tokyo"
    assert recipient_time_zone(None, "+4930123456", "UTC") == "Europe/Berlin"
    assert recipient_time_zone(None, "+14155550101", "UTC") == "America/Los_Angeles"
    assert recipient_time_zone(None, None, "Europe/Paris") == "Europe/Paris"
    assert recipient_time_zone("Not/AZone", None, "Europe/Paris") == "Europe/Paris"
