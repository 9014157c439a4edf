"""What an identifier may look like, per platform, before it becomes part of a workflow id, a platform
API path or a database key. One table for every way in (webhooks, the APIs, callbacks), so a request
is refused with HTTP 400 naming the field instead of starting a journey for `0`, `..`, `{{7*7}}`, an
id with a CRLF or a NUL, or 5,000 characters Temporal will not take as a workflow id.

The rules follow the platforms: BigCommerce numbers its orders, customers, products and shipments
with positive integers (we allow up to 2^63 - 1, what a signed 64-bit column holds) and names stores
by a short hash; SFCC and SAP Commerce use codes of letters, digits and a little punctuation; SAP's
customer uid is often an email address. Every code starts with a letter or digit, so `.`, `..` and
`-x` are never ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from domain.events import CommerceEvent, Platform

MAX_INT_ID = 2**63 - 1


class InvalidIdentifier(ValueError):
    """An identifier its platform would never send: HTTP 400 `{"error": ..., "field": field}`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    says: str  # what the pattern allows, for the error
    positive_int: bool = False  # also within 1 .. MAX_INT_ID

    def check(self, field: str, value: object) -> str:
        if not isinstance(value, str):
            raise InvalidIdentifier(field, f"must be a string, got {type(value).__name__}")
        if not self.pattern.fullmatch(value):
            raise InvalidIdentifier(field, f"{self.says}, got {_shown(value)}")
        if self.positive_int and not 0 < int(value) <= MAX_INT_ID:
            raise InvalidIdentifier(field, f"{self.says}, got {_shown(value)}")
        return value


def _shown(value: str) -> str:
    # repr escapes CR, LF, NUL and surrogates; a long value is cut so the answer stays small.
    return repr(value) if len(value) <= 40 else f"{value[:37]!r}… ({len(value)} characters)"


def _code(max_len: int, extra: str = "_.-") -> Rule:
    pattern = re.compile(rf"[A-Za-z0-9][A-Za-z0-9{re.escape(extra)}]{{0,{max_len - 1}}}")
    allowed = " ".join(extra)
    return Rule(pattern, f"must be 1 to {max_len} letters, digits or {allowed}, the first a letter or digit")


_NUMBER = Rule(re.compile(r"[1-9][0-9]{0,18}"), "must be a positive integer below 2^63", positive_int=True)
_CODE = _code(100)
_SKU = _code(100, "_.-+=@~")
# Event ids are opaque dedupe keys (hashes, UUIDs, fingerprints, ours with ":" suffixes): visible ASCII.
_EVENT_ID = Rule(re.compile(r"[!-~]{1,256}"), "must be 1 to 256 visible ASCII characters")
# Alert keys are "{kind}:{qualifier}", the qualifier a gateway or catalog name a platform sent.
_ALERT_KEY = Rule(
    re.compile(r"(?=.*\S)[^\x00-\x1f\x7f-\x9f\u2028\u2029]{1,200}"),
    "must be 1 to 200 characters, not blank, without control characters",
)

# (platform or None for every platform, field) → rule; the platform's own rule wins.
RULES: dict[tuple[Platform | None, str], Rule] = {
    (Platform.BIGCOMMERCE, "store"): _code(64, "_-"),
    (Platform.SFCC, "store"): _code(64),
    (Platform.SAP_COMMERCE, "store"): _code(100),
    (Platform.BIGCOMMERCE, "order_id"): _NUMBER,
    (Platform.BIGCOMMERCE, "customer_id"): _NUMBER,
    (Platform.BIGCOMMERCE, "shipment_id"): _NUMBER,
    (Platform.BIGCOMMERCE, "refund_id"): _NUMBER,
    (Platform.BIGCOMMERCE, "cart_id"): _code(64, "-"),  # a UUID
    (Platform.BIGCOMMERCE, "case_id"): Rule(
        re.compile(r"order-[1-9][0-9]{0,18}"), "must be order-{order id}"
    ),  # a conversation about an order
    (Platform.SAP_COMMERCE, "customer_id"): _code(255, "_.-@+"),  # the uid: often an email address
    (None, "store"): _code(64),
    (None, "order_id"): _code(100),
    (None, "cart_id"): _code(100),
    (None, "case_id"): _code(100),
    (None, "customer_id"): _code(100, "_.-@+"),
    (None, "shipment_id"): _code(100),
    (None, "refund_id"): _code(100),
    (None, "sku"): _SKU,
    (None, "event_id"): _EVENT_ID,
    (None, "alert_key"): _ALERT_KEY,
    (None, "campaign_id"): _code(100),
    # OpenText's ids (a message's and a job's) key stored rows and the reply journey's workflow id.
    (None, "message_id"): _EVENT_ID,
    (None, "job_id"): _EVENT_ID,
    # A phone number or email address a reply came from (keys opt-outs and conversations).
    (None, "address"): Rule(
        re.compile(r"(?=.*\S)[^\x00-\x1f\x7f-\x9f\u2028\u2029]{1,320}"),
        "must be 1 to 320 characters, not blank, without control characters",
    ),
}


def rule(platform: Platform | str | None, field: str) -> Rule:
    known = Platform(platform) if platform is not None else None
    found = RULES.get((known, field)) or RULES.get((None, field))
    if found is None:
        raise KeyError(f"no identifier rule for {field}")
    return found


def check(platform: Platform | str | None, field: str, value: object) -> str:
    """`value` if it is a valid `field` of `platform`, else `InvalidIdentifier` naming the field."""
    return rule(platform, field).check(field, value)


def _fields(event: CommerceEvent) -> Iterator[tuple[str, str | None]]:
    yield "store", event.store
    yield "event_id", event.event_id
    yield "customer_id", event.customer.customer_id
    if event.order is not None:
        yield "order_id", event.order.order_id
        yield "shipment_id", event.order.shipment_id
        yield "refund_id", event.order.refund_id
    if event.cart is not None:
        yield "cart_id", event.cart.cart_id
        yield "order_id", event.cart.order_id
    if event.case is not None:
        yield "case_id", event.case.case_id
        yield "order_id", event.case.order_id
    if event.product is not None:
        yield "sku", event.product.sku
    if event.account is not None:
        yield "customer_id", event.account.customer_id
    if event.alert is not None:
        yield "alert_key", event.alert.key
        yield "order_id", event.alert.order_id
        yield "sku", event.alert.sku


def check_event(event: CommerceEvent) -> None:
    """Every identifier of `event` that keys a journey, a platform read or a stored row, by the rules
    of the event's platform. Raises `InvalidIdentifier` for the first that is wrong."""
    for field, value in _fields(event):
        if value is not None:
            check(event.platform, field, value)
