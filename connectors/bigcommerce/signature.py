"""Authenticity of BigCommerce webhooks.

BigCommerce signs HTTPS webhooks per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`) with the app's client
secret. Hooks created with a secret custom header are accepted too (the older way).

We use `standardwebhooks.Webhook.sign` for the HMAC but not `Webhook.verify`, because `verify`
reads the wall clock with no way to inject one, and raises `ValueError`/`binascii.Error` (not its
own error) on a malformed signature list, which would surface as HTTP 500 instead of 401. The
policy is the same as the library's: 5 minutes tolerance either way, constant-time comparison.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from connectors import safe_json
from connectors.errors import WebhookAuthError

TOLERANCE = timedelta(minutes=5)  # the Standard Webhooks default, which the library also uses

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def _webhook(client_secret: str) -> Webhook:
    # The library takes the key base64-encoded; BigCommerce's key is the raw client secret's bytes.
    return Webhook(base64.b64encode(client_secret.encode()).decode("ascii"))


def _utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC (as the library does); aware ones are converted, not relabelled.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sign_webhook(body: bytes, *, client_secret: str, msg_id: str, timestamp: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers BigCommerce would send with `body` (demo, bench, tests)."""
    moment = _utc(timestamp)
    signature = _webhook(client_secret).sign(msg_id=msg_id, timestamp=moment, data=body.decode())
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(int(moment.timestamp())),
        SIGNATURE_HEADER: signature,
    }


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    *,
    client_secret: str | None,
    header_name: str,
    header_secret: str | None,
    now: datetime | None = None,
) -> None:
    """Return if the request is authentic, else raise `WebhookAuthError` naming what is wrong.

    A signature is checked whenever one is sent and a client secret is configured; a failing
    signature is never rescued by the custom header (no downgrade). The custom header is used
    when there is no signature, or when only the header secret is configured."""
    # Starlette's Headers already lower-cases; a plain dict may not.
    normalised = {key.lower(): value for key, value in headers.items()}
    if SIGNATURE_HEADER in normalised and client_secret:
        _verify_signature(normalised, body, client_secret, _utc(now or datetime.now(UTC)))
        return
    custom = header_name.lower()
    if header_secret and custom in normalised:
        if not hmac.compare_digest(normalised[custom].encode(), header_secret.encode()):
            raise WebhookAuthError(f"{header_name} header does not match")
        return
    if not client_secret and not header_secret:
        raise WebhookAuthError("webhook secret not configured")
    if not client_secret:
        raise WebhookAuthError(f"missing {header_name} header")
    if header_secret:
        raise WebhookAuthError(f"missing {SIGNATURE_HEADER} header (or {header_name} header)")
    raise WebhookAuthError(f"missing {SIGNATURE_HEADER} header")


def _verify_signature(headers: dict[str, str], body: bytes, client_secret: str, now: datetime) -> None:
    msg_id = headers.get(ID_HEADER, "").strip()
    if not msg_id:
        raise WebhookAuthError(f"missing {ID_HEADER} header")
    raw_timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    if not raw_timestamp:
        raise WebhookAuthError(f"missing {TIMESTAMP_HEADER} header")
    try:
        # The spec says integer seconds; the signed string must be exactly what the sender used.
        timestamp = datetime.fromtimestamp(int(raw_timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise WebhookAuthError(f"{TIMESTAMP_HEADER} header is not a unix timestamp") from None
    if timestamp < now - TOLERANCE:
        raise WebhookAuthError("timestamp too old")
    if timestamp > now + TOLERANCE:
        raise WebhookAuthError("timestamp too far in the future")
    try:
        data = body.decode()
    except UnicodeDecodeError:
        # Standard Webhooks signs text: bytes that are not UTF-8 cannot carry a signature of
        # BigCommerce's, so this is a 401 like any other mismatch (never a 500 or a parse first).
        raise WebhookAuthError("signature does not match (the body is not UTF-8)") from None

    expected = _webhook(client_secret).sign(msg_id=msg_id, timestamp=timestamp, data=data)
    expected_bytes = base64.b64decode(expected.split(",", 1)[1])
    # A space-separated list (several during secret rotation); unknown versions are skipped.
    for entry in headers[SIGNATURE_HEADER].split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(expected_bytes, candidate):
            return
    raise WebhookAuthError("signature does not match")


def peek_store_hash(body: bytes) -> str | None:
    """The store hash a webhook claims (`producer: stores/{hash}`), to pick that store's secret before
    verifying. Unverified until the signature checks out; None when the body does not say."""
    raw = safe_json.peek(body)  # bounded: a hostile body must still get its 401
    producer = raw.get("producer") if isinstance(raw, dict) else None
    if isinstance(producer, str) and producer.startswith("stores/"):
        return producer.removeprefix("stores/") or None
    return None
