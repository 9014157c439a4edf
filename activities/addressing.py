"""Addresses and local time: phone numbers normalised to E.164, and the recipient's time zone
(their preference, else their phone number's region, else the store's)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as phone_timezones

from domain.preferences import zone


class InvalidAddress(ValueError):
    """An address no provider could deliver to: a permanent failure for that channel."""


def e164(phone: str, default_region: str) -> str:
    try:
        parsed = phonenumbers.parse(phone, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidAddress(f"invalid phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidAddress("invalid phone number: not a valid number for its region")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_time_zone(phone: str) -> str | None:
    """The time zone a number belongs to, when the numbering plan says exactly one."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phone_timezones.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None


def recipient_time_zone(preferred: str | None, phone: str | None, store_zone: str) -> str:
    for candidate in (preferred, phone_time_zone(phone) if phone else None, store_zone):
        if candidate:
            try:
                zone(candidate)
            except ValueError:
                continue
            return candidate
    return "UTC"
