"""Authenticity of SFCC webhooks: our own contract, since B2C Commerce has no native webhooks.

The cartridge (deploy/sfcc) and any Order Management relay sign every request with the site's
shared secret (`TIDINGS_SFCC_WEBHOOK_SECRET`, or the site's own in the stores file):

    X-SFCC-Timestamp: 1767225600                       (unix seconds, when the request was signed)
    X-SFCC-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{raw body}">

The timestamp is inside the signed string, so a captured request cannot be replayed with a fresh
timestamp; requests signed more than 5 minutes before or after our clock are refused. Several
`v1=` entries, comma-separated, are accepted during a secret rotation (any one may match). The
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from connectors.errors import WebhookAuthError

TOLERANCE = timedelta(minutes=5)
TIMESTAMP_HEADER = "X-SFCC-Timestamp"
SIGNATURE_HEADER = "X-SFCC-Signature"
SCHEME = "v1"


def signature(body: bytes, *, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `"{timestamp}.{body}"` (what follows `v1=` in the header)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_webhook(body: bytes, *, secret: str, timestamp: datetime | None = None) -> dict[str, str]:
    """The two headers the cartridge sends with `body` (tests, the demo, the benchmark)."""
    moment = int((timestamp or datetime.now(UTC)).timestamp())
    return {
        TIMESTAMP_HEADER: str(moment),
        SIGNATURE_HEADER: f"{SCHEME}={signature(body, secret=secret, timestamp=moment)}",
    }


def verify_webhook(
    headers: Mapping[str, str], body: bytes, *, secret: str | None, now: datetime | None = None
) -> None:
    """Return if the request is authentic, else raise `WebhookAuthError` naming what is wrong."""
    if not secret:
        raise WebhookAuthError("SFCC webhook secret not configured")
    # Starlette's Headers are case-insensitive already; a plain dict may not be.
    normalised = {key.lower(): value for key, value in headers.items()}
    raw_timestamp = normalised.get(TIMESTAMP_HEADER.lower(), "").strip()
    if not raw_timestamp:
        raise WebhookAuthError(f"missing {TIMESTAMP_HEADER} header")
    raw_signature = normalised.get(SIGNATURE_HEADER.lower(), "").strip()
    if not raw_signature:
        raise WebhookAuthError(f"missing {SIGNATURE_HEADER} header")
    # Twelve digits reach the year 33658; more is no timestamp (and 4,301 would make int() raise).
    if not raw_timestamp.isascii() or not raw_timestamp.isdigit() or len(raw_timestamp) > 12:
        raise WebhookAuthError(f"{TIMESTAMP_HEADER} header is not a unix timestamp in seconds")
    timestamp = int(raw_timestamp)
    candidates = _candidates(raw_signature)

    clock = now or datetime.now(UTC)
    clock = clock.replace(tzinfo=UTC) if clock.tzinfo is None else clock
    age = clock.timestamp() - timestamp
    if age > TOLERANCE.total_seconds():
        raise WebhookAuthError("timestamp too old")
    if -age > TOLERANCE.total_seconds():
        raise WebhookAuthError("timestamp too far in the future")

    expected = bytes.fromhex(signature(body, secret=secret, timestamp=timestamp))
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise WebhookAuthError("signature does not match")


def _candidates(header: str) -> list[bytes]:
    """The `v1=` digests of the header; a header with none we can read is malformed."""
    found: list[bytes] = []
    for entry in header.split(","):
        scheme, sep, digest = entry.strip().partition("=")
        if not sep or scheme.strip() != SCHEME:
            continue  # another scheme (a future v2): not ours to judge
        try:
            found.append(bytes.fromhex(digest.strip()))
        except ValueError:
            continue
    if not found:
        raise WebhookAuthError(f"{SIGNATURE_HEADER} header must look like {SCHEME}=<hex HMAC-SHA256>")
    return found
