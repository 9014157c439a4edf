"""Phone numbers and email addresses masked before anything is written to a log.

Cheap on the common path: two precompiled regexes per string. International numbers (`+` or `%2B`,
8–15 digits) are masked by regex alone; a string that holds a long enough run of digits without a
`+` is handed to libphonenumber's matcher, which knows national formats and skips dates and times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import phonenumbers

# `@` also in its URL-encoded form: addresses show up in logged URLs and query strings.
_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9._%+-]+?)(@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
# A `+` (or `%2B`) and 8–15 digits, with the separators people write between groups.
_INTERNATIONAL = re.compile(r"(?<![\w+%])(\+|%2[Bb])(\d(?:[ .()\-]{0,2}\d){7,14})(?!\d)")
# Only a gate for the slower matcher: 9 or more digits in a row, maybe grouped.
_LONG_DIGITS = re.compile(r"\d(?:[ .()/\-]{0,2}\d){8,}")


def mask_email(local: str, at: str, domain: str) -> str:
    """`ada@example.com` → `a***@example.com`: enough to tell customers apart, not to write to them."""
    return f"{local[:1]}***{at}{domain}"


def mask_phone(number: str, international: bool) -> str:
    """`+14155550101` → `+1415*****01`; a national `(415) 555-0101` → `415*****01`."""
    digits = re.sub(r"\D", "", number)
    head = 4 if international else 3
    hidden = max(len(digits) - head - 2, 1)
    return ("+" if international else "") + digits[:head] + "*" * hidden + digits[-2:]


class Redactor:
    """Masks every phone number and email address in a string. `region` is where national numbers
    (no `+`) are read as being from, like `TIDINGS_DEFAULT_REGION`."""

    def __init__(self, region: str = "US") -> None:
        self.region = region.upper()

    def __call__(self, text: str) -> str:
        if "@" in text or "%40" in text:
            text = _EMAIL.sub(lambda m: mask_email(m[1], m[2], m[3]), text)
        if "+" in text or "%2" in text:
            # the masked number keeps the plus as it was written (`%2B` in a URL)
            text = _INTERNATIONAL.sub(lambda m: m[1] + mask_phone(m[2], international=True)[1:], text)
        if _LONG_DIGITS.search(text):
            text = self._national(text)
        return text

    def _national(self, text: str) -> str:
        found = [
            (match.start, match.end)
            for match in phonenumbers.PhoneNumberMatcher(text, self.region, phonenumbers.Leniency.VALID)
        ]
        for start, end in reversed(found):  # from the end, so earlier offsets stay right
            text = text[:start] + mask_phone(text[start:end], international=False) + text[end:]
        return text

    def value(self, value: Any) -> Any:
        """Strings masked, containers walked (extras can be dicts and lists); anything else as is."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
