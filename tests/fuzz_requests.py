"""Hypothesis strategies for hostile webhook and callback requests: the platforms' own payloads with
an identifier swapped for something no platform sends, random JSON, random bytes, JSON nested too
deep or with absurd numbers, each sent with the right credentials or with none, wrong or garbled
ones. Used by tests/test_fuzz.py."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from connectors.bigcommerce.simulate import order_webhook
from connectors.bigcommerce.simulate import signed_headers as bc_signed
from connectors.sap_commerce import simulate as sap
from connectors.sfcc.simulate import body_of, envelope, order_document
from connectors.sfcc.simulate import signed_headers as sfcc_signed
from tests.conftest import CALLBACK_SECRET, SAP_PASSWORD, SAP_USER, SFCC_SECRET, WEBHOOK_SECRET

CALLBACK_HEADER = "X-Tidings-Callback-Secret"

# What the fuzzing that found the bugs sent, and what a platform never would.
HOSTILE_IDS: list[Any] = [
    0,
    "0",
    2**64,
    -(2**63),
    "1; DROP TABLE orders",
    "{{7*7}}",
    "..",
    "a\r\nb",
    "a\x00b",
    "\U0001f600" * 40,
    "   ",
    "x" * 5000,
    int("9" * 300),
    "\ud800",
    1e308,
    None,
    True,
    [],
    {},
]
ids = st.one_of(
    st.sampled_from(HOSTILE_IDS),
    st.text(max_size=40),
    st.integers(),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(str.strip)


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()  # ASCII: a lone surrogate travels as its \\u escape


def _deep(depth: int) -> bytes:
    return b'{"data":' + b"[" * depth + b"]" * depth + b"}"


# Bodies every route must survive, whatever it expects.
raw_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(_dump),
    st.sampled_from([65, 900, 2500, 50_000]).map(_deep),
    st.sampled_from(
        [b'{"id": ' + b"7" * 5000 + b"}", b'{"id": NaN}', b'{"id": -Infinity}', b'{"id": 1e999999}', b""]
    ),
)


@dataclass(frozen=True)
class WebhookRequest:
    path: str
    body: bytes
    headers: dict[str, str]
    authentic: bool

    def __repr__(self) -> str:  # what a failing example prints
        return f"POST {self.path} authentic={self.authentic} headers={self.headers} body={self.body[:300]!r}"


# Moments past what a datetime holds, or at its very edges, in each platform's notation.
_EDGE_NUMBERS = [-1, 0, 253402300800, 2**63, 10**20]
moments = st.one_of(st.none(), st.sampled_from(_EDGE_NUMBERS), st.integers())
iso_moments = st.sampled_from(
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z", "2026-12-01T10:00:00"]
)
sap_moments = moments | st.sampled_from(["/Date(99999999999999999999)/", "/Date(-99999999999999)/"])


def _bigcommerce(identifier: Any, store: Any, scope: str, created_at: Any = None) -> bytes:
    payload = order_webhook("fuzz", scope, 1)
    payload["data"]["id"] = identifier
    payload["producer"] = f"stores/{store}"
    if created_at is not None:
        payload["created_at"] = created_at
    return _dump(payload)


def _sfcc(
    identifier: Any, site: Any, event_type: str, occurred_at: str | None = None, year: int = 2030
) -> bytes:
    if event_type == "inventory.changed":
        data: dict[str, Any] = {"id": identifier, "ats": 3}
    elif event_type == "customer.payment_method_expiring":
        card = {"expiration_month": 12, "expiration_year": year, "masked_card_number": "****1111"}
        data = {"customer_no": identifier, "email": "ada@example.com", "payment_instruments": [card]}
    else:
        data = order_document("1001")
        data["order_no"] = identifier
    payload = envelope(event_type, site, data)
    if occurred_at is not None:
        payload["occurred_at"] = occurred_at
    return body_of(payload)


def _sap(identifier: Any, site: Any, modified: Any = None) -> bytes:
    document = sap.order_document("fuzz-site", "C1001")
    document["code"] = identifier
    document["site"]["uid"] = site
    if modified is not None:
        document["modifiedtime"] = modified
    return _dump(document)


def _inbound(message_id: Any, sender: Any, text: Any, channel: Any) -> bytes:
    return _dump(
        {
            "message_id": message_id,
            "channel": channel,
            "from": sender,
            "text": text,
            "received_at": "2026-12-01T10:00:00Z",
        }
    )


def _status(job_id: Any, address: Any) -> bytes:
    reference = base64.b64encode(b"order:fuzz:1:shipped").decode()
    return _dump(
        {
            "job_id": job_id,
            "customer_reference_base64": reference,
            "deliveries": [{"sms": address, "delivery_attempts": [{"state": "Sent"}]}],
        }
    )


def _credentials(path: str, body: bytes) -> dict[str, str]:
    if path == "/webhooks/bigcommerce":
        return bc_signed(body, WEBHOOK_SECRET)
    if path == "/webhooks/sfcc":
        return sfcc_signed(body, SFCC_SECRET)
    if path.startswith("/webhooks/sap-commerce"):
        return sap.basic_headers(SAP_USER, SAP_PASSWORD)
    return {CALLBACK_HEADER: CALLBACK_SECRET}


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Headers that look like credentials: the right names with wrong, stale or garbled values.
_AUTH_NAMES = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "X-Tidings-Secret",
    "X-SFCC-Timestamp",
    "X-SFCC-Signature",
    "Authorization",
    CALLBACK_HEADER,
    "Content-Type",
]
forged_headers = st.dictionaries(
    st.sampled_from(_AUTH_NAMES),
    header_text | st.sampled_from([1, 20, 5000]).map(lambda n: "9" * n),  # timestamps past any clock
    max_size=5,
)

_PAYLOADS: dict[str, st.SearchStrategy[bytes]] = {
    "/webhooks/bigcommerce": st.builds(
        _bigcommerce,
        ids,
        ids | st.just("fuzzstore"),
        st.sampled_from(["store/order/created", "store/order/updated", "store/cart/abandoned"]),
        moments,
    ),
    "/webhooks/sfcc": st.builds(
        _sfcc,
        ids,
        ids | st.just("fuzz-site"),
        st.sampled_from(["order.created", "inventory.changed", "customer.payment_method_expiring"]),
        st.none() | iso_moments,
        st.integers(2000, 2100) | st.sampled_from([9998, 9999, 10_000, 2**40]),
    ),
    "/webhooks/sap-commerce?io=TidingsOrder": st.builds(_sap, ids, ids | st.just("fuzz-site"), sap_moments),
    "/callbacks/opentext/inbound": st.builds(
        _inbound, ids, ids | st.just("+14155550101"), ids, st.sampled_from(["sms", "email", "fax"])
    ),
    "/callbacks/opentext/status": st.builds(_status, ids, ids | st.just("+14155550101")),
}
PATHS = list(_PAYLOADS)


def known_cases(path: str) -> list[WebhookRequest]:
    """The fuzz report's findings, tried first on every run (then the random ones)."""
    deep, long_number = _deep(2500), b'{"id": ' + b"7" * 5000 + b"}"
    forged = {
        "webhook-id": "msg_1",
        "X-Tidings-Secret": "9" * 5000,
        "webhook-timestamp": "1",
        "webhook-signature": "v1,AAAA",
        "Authorization": "Basic Zm9vOmJhcg==",
        "X-SFCC-Signature": "v1=00",
        "X-SFCC-Timestamp": "1",
    }
    cases = [
        WebhookRequest(path, deep, {}, authentic=False),
        WebhookRequest(path, b"\xff\xfe\x00{", forged, authentic=False),
        WebhookRequest(path, deep, _credentials(path, deep), authentic=True),
        WebhookRequest(path, long_number, _credentials(path, long_number), authentic=True),
    ]
    templates = {
        "/webhooks/bigcommerce": lambda value: _bigcommerce(value, "fuzzstore", "store/order/created"),
        "/webhooks/sfcc": lambda value: _sfcc(value, "fuzz-site", "order.created"),
        "/webhooks/sap-commerce?io=TidingsOrder": lambda value: _sap(value, "fuzz-site"),
        "/callbacks/opentext/inbound": lambda value: _inbound("m-1", value, "hi", "sms"),
        "/callbacks/opentext/status": lambda value: _status(value, "+14155550101"),
    }
    bodies = [templates[path](value) for value in HOSTILE_IDS]
    bodies += {  # moments no datetime holds
        "/webhooks/bigcommerce": [_bigcommerce(1, "fuzzstore", "store/order/created", 10**20)],
        "/webhooks/sfcc": [_sfcc("7", "fuzz-site", "customer.payment_method_expiring", None, 10_000)],
        "/webhooks/sap-commerce?io=TidingsOrder": [_sap("C1", "fuzz-site", "/Date(99999999999999999999)/")],
    }.get(path, [])
    cases += [WebhookRequest(path, body, _credentials(path, body), authentic=True) for body in bodies]
    return cases


@st.composite
def webhook_requests(draw: st.DrawFn, path: str) -> WebhookRequest:
    body = draw(st.one_of(_PAYLOADS[path], raw_bodies))
    how = draw(st.sampled_from(["authentic", "none", "forged", "signed for another body"]))
    if how == "authentic":
        if path == "/webhooks/bigcommerce" and not _is_utf8(body):
            # Standard Webhooks signs text: no signature covers these bytes (a 401, by design).
            signed = _credentials(path, body.decode("utf-8", "replace").encode())
            return WebhookRequest(path, body, signed, authentic=False)
        return WebhookRequest(path, body, _credentials(path, body), authentic=True)
    if how == "signed for another body":
        headers = _credentials(path, body.decode("utf-8", "replace").encode() + b" ")
        authentic = path.startswith(("/webhooks/sap-commerce", "/callbacks/"))  # not body-bound
        return WebhookRequest(path, body, headers, authentic=authentic)
    headers = {} if how == "none" else draw(forged_headers)
    return WebhookRequest(path, body, headers, authentic=False)
