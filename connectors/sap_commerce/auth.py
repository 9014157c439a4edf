"""Authenticity of SAP Commerce webhooks.

`webhookservices` signs nothing: the consumed destination's credential is all there is. It is
either a `BasicCredential` (username + password, sent as `Authorization: Basic …`) or an OAuth
credential whose bearer token the ingress is configured with. Both are compared in constant time;
a request is never accepted when no credential is configured.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from connectors.errors import WebhookAuthError

NOT_CONFIGURED = "SAP Commerce credentials not configured"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def verify_request(
    headers: Mapping[str, str], *, user: str | None, password: str | None, bearer_token: str | None
) -> None:
    """Return if the request carries the configured Basic credentials or bearer token, else raise
    `WebhookAuthError` saying what is wrong (never what the right value would be)."""
    basic_configured = bool(user) and bool(password)
    if not basic_configured and not bearer_token:
        raise WebhookAuthError(NOT_CONFIGURED)
    # Starlette's Headers are case-insensitive; a plain dict may not be.
    normalised = {key.lower(): value for key, value in headers.items()}
    authorization = normalised.get("authorization", "").strip()
    if not authorization:
        raise WebhookAuthError("missing Authorization header")
    scheme, _, credentials = authorization.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "basic":
        if not basic_configured:
            raise WebhookAuthError("Basic credentials are not accepted: a bearer token is configured")
        assert user is not None and password is not None
        given_user, given_password = _decode_basic(credentials)
        # Both comparisons run whatever the first says: the timing tells nothing about the user.
        user_ok = _same(given_user, user)
        password_ok = _same(given_password, password)
        if not (user_ok and password_ok):
            raise WebhookAuthError("Basic credentials do not match")
        return
    if scheme == "bearer":
        if not bearer_token:
            raise WebhookAuthError("bearer tokens are not accepted: Basic credentials are configured")
        if not credentials or not _same(credentials, bearer_token):
            raise WebhookAuthError("bearer token does not match")
        return
    raise WebhookAuthError(f"unsupported Authorization scheme {scheme!r}: use Basic or Bearer")


def _decode_basic(credentials: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise WebhookAuthError("Authorization header is not valid Basic credentials") from None
    given_user, colon, given_password = decoded.partition(":")
    if not colon:
        raise WebhookAuthError("Authorization header is not valid Basic credentials")
    return given_user, given_password


def basic_authorization(user: str, password: str) -> str:
    """The `Authorization` header value SAP's BasicCredential produces (simulators and the client)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"
