"""The one JSON reader for every request body: strict UTF-8, and limits on nesting depth and number
length, so hostile input is a `WebhookPayloadError` (HTTP 400) and never a crash deeper in.

Why each rule:
- UTF-8 only (RFC 8259 §8.1); `json.loads` on bytes would also guess UTF-16/32 from the first bytes.
- Depth: Python's parser recurses, and so do the schema validator, `json.dumps` and the data
  converter after it; 2,000 levels end in `RecursionError`. No platform nests anywhere near `MAX_DEPTH`.
- Numbers: a 5,000-digit integer raises `ValueError` inside `int()` (CPython's 4,300-digit guard) and a
  4,000-digit one becomes an id Temporal refuses. `NaN` and `Infinity` are not JSON at all.
- Lone surrogates (`"\\ud800"`): valid JSON escapes, but not text; they fail later when encoded.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.errors import WebhookPayloadError

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100  # an id of 20 digits or an amount with many decimals fits many times over
# Only an escape can carry a surrogate into a decoded str: strict UTF-8 refuses encoded ones.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonLimitError(WebhookPayloadError):
    """Valid-looking JSON beyond what we read: too deep, too long a number, not a number (400)."""


def _number(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonLimitError(f"a number is longer than {MAX_NUMBER_CHARS} characters")


def _int(text: str) -> int:
    _number(text)
    return int(text)


def _float(text: str) -> float:
    _number(text)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonLimitError(f"number {text} is out of range")
    return value


def _decimal(text: str) -> Decimal:
    _number(text)
    try:
        value = Decimal(text)
        # An exponent like 1e999999 is a short text for an absurd amount.
        if abs(value.adjusted()) > MAX_NUMBER_CHARS:
            raise JsonLimitError(f"number {text} is out of range")
    except InvalidOperation:
        raise JsonLimitError(f"number {text} is not a number") from None
    return value


def _constant(name: str) -> Any:
    raise JsonLimitError(f"{name} is not a JSON number")


def decode_utf8(body: bytes) -> str:
    """The body as text, or `WebhookPayloadError` when it is not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookPayloadError(f"body is not valid JSON: not UTF-8 text (byte {exc.start})") from None


def loads(body: bytes | str, *, decimals: bool = False) -> Any:
    """Parse a request body under the limits above; `decimals` reads fractions as `Decimal` (amounts
    keep the cents they were sent with). Raises `WebhookPayloadError` (HTTP 400) naming the problem."""
    text = decode_utf8(body) if isinstance(body, bytes) else body
    try:
        value = json.loads(
            text,
            parse_int=_int,
            parse_float=_decimal if decimals else _float,
            parse_constant=_constant,
        )
    except RecursionError:
        raise JsonLimitError(f"body is nested deeper than {MAX_DEPTH} levels") from None
    except JsonLimitError:
        raise
    except ValueError as exc:  # JSONDecodeError, and int() refusing a long integer
        raise WebhookPayloadError(f"body is not valid JSON: {exc}") from None
    _check(value, check_text=_SURROGATE_ESCAPE.search(text) is not None)
    return value


def _check(value: Any, *, check_text: bool) -> None:
    """Depth within `MAX_DEPTH` and, when the text had surrogate escapes, every string encodable.
    Iterative, so a deep value cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth >= MAX_DEPTH:
                raise JsonLimitError(f"body is nested deeper than {MAX_DEPTH} levels")
            if check_text:
                for key in node:
                    _encodable(key)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            if depth >= MAX_DEPTH:
                raise JsonLimitError(f"body is nested deeper than {MAX_DEPTH} levels")
            stack.extend((child, depth + 1) for child in node)
        elif check_text and isinstance(node, str):
            _encodable(node)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonLimitError("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)") from None


def peek(body: bytes) -> Any:
    """The body parsed under the same limits for a look before authentication (which store's secret
    applies); None for anything unreadable, so a hostile body reaches the 401, not a 500."""
    try:
        return loads(body)
    except WebhookPayloadError:
        return None
