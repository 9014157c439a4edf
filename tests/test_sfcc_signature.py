"""SFCC webhook authenticity: HMAC-SHA256 over "{timestamp}.{body}", 5 minutes either way."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import WebhookAuthError
from connectors.sfcc import sign_webhook, verify_webhook
from connectors.sfcc.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from connectors.sfcc.simulate import body_of, envelope, order_document

SECRET = "whsec-refarch-3f9c"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BODY = body_of(envelope("order.created", "RefArch", order_document("00001234"), occurred_at=NOW))


def test_a_request_signed_with_the_site_secret_is_accepted() -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    verify_webhook(headers, BODY, secret=SECRET, now=NOW + timedelta(seconds=3))


def test_the_signature_is_the_hmac_the_cartridge_computes() -> None:
    # The cartridge signs timestamp + "." + body with dw.crypto.Mac (HmacSHA256) and sends hex.
    timestamp = int(NOW.timestamp())
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    headers = {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: f"v1={expected}"}
    verify_webhook(headers, BODY, secret=SECRET, now=NOW)


def test_header_names_are_case_insensitive() -> None:
    headers = {k.lower(): v for k, v in sign_webhook(BODY, secret=SECRET, timestamp=NOW).items()}
    verify_webhook(headers, BODY, secret=SECRET, now=NOW)


def test_a_wrong_secret_is_refused() -> None:
    headers = sign_webhook(BODY, secret="someone-elses-secret", timestamp=NOW)
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify_webhook(headers, BODY, secret=SECRET, now=NOW)


def test_a_changed_body_is_refused() -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    tampered = json.loads(BODY)
    tampered["data"]["order_total"] = 0.01
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify_webhook(headers, body_of(tampered), secret=SECRET, now=NOW)


def test_a_replayed_request_with_a_fresh_timestamp_is_refused() -> None:
    # The timestamp is signed: moving it forward breaks the signature.
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    headers[TIMESTAMP_HEADER] = str(int((NOW + timedelta(hours=1)).timestamp()))
    with pytest.raises(WebhookAuthError, match="signature does not match"):
        verify_webhook(headers, BODY, secret=SECRET, now=NOW + timedelta(hours=1))


def test_a_stale_timestamp_is_refused() -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    verify_webhook(headers, BODY, secret=SECRET, now=NOW + timedelta(minutes=4, seconds=59))
    with pytest.raises(WebhookAuthError, match="too old"):
        verify_webhook(headers, BODY, secret=SECRET, now=NOW + timedelta(minutes=5, seconds=1))


def test_a_timestamp_from_the_future_is_refused() -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW + timedelta(minutes=6))
    with pytest.raises(WebhookAuthError, match="future"):
        verify_webhook(headers, BODY, secret=SECRET, now=NOW)


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_a_missing_header_is_named(missing: str) -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    del headers[missing]
    with pytest.raises(WebhookAuthError, match=f"missing {missing}"):
        verify_webhook(headers, BODY, secret=SECRET, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        ("1764000000.5", "v1=00", "not a unix timestamp"),
        ("yesterday", "v1=00", "not a unix timestamp"),
        (None, "sha256=abcdef", "must look like v1="),
        (None, "v1=not-hex", "must look like v1="),
        (None, "abcdef0123", "must look like v1="),
    ],
)
def test_a_malformed_header_is_refused_not_crashed_on(
    timestamp: str | None, signature: str, problem: str
) -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    if timestamp is not None:
        headers[TIMESTAMP_HEADER] = timestamp
    headers[SIGNATURE_HEADER] = signature
    with pytest.raises(WebhookAuthError, match=problem):
        verify_webhook(headers, BODY, secret=SECRET, now=NOW)


def test_during_a_secret_rotation_either_signature_may_match() -> None:
    old = sign_webhook(BODY, secret="old-secret", timestamp=NOW)[SIGNATURE_HEADER]
    new = sign_webhook(BODY, secret=SECRET, timestamp=NOW)[SIGNATURE_HEADER]
    headers = {TIMESTAMP_HEADER: str(int(NOW.timestamp())), SIGNATURE_HEADER: f"{old}, {new}"}
    verify_webhook(headers, BODY, secret=SECRET, now=NOW)
    verify_webhook(headers, BODY, secret="old-secret", now=NOW)


@pytest.mark.parametrize("secret", [None, ""])
def test_without_a_configured_secret_nothing_is_accepted(secret: str | None) -> None:
    headers = sign_webhook(BODY, secret=SECRET, timestamp=NOW)
    with pytest.raises(WebhookAuthError, match="SFCC webhook secret not configured"):
        verify_webhook(headers, BODY, secret=secret, now=NOW)
