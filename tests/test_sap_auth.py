"""SAP Commerce webhook authenticity: the consumed destination's Basic credential or a bearer token."""

from __future__ import annotations

import base64

import pytest

from connectors.errors import WebhookAuthError
from connectors.sap_commerce import verify_request
from connectors.sap_commerce.simulate import basic_headers, bearer_headers

USER = "sapwebhooks"
PASSWORD = "correct horse battery staple"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.tidings-sap-token"


def verify(
    headers: dict[str, str],
    *,
    user: str | None = USER,
    password: str | None = PASSWORD,
    token: str | None = None,
) -> None:
    verify_request(headers, user=user, password=password, bearer_token=token)


def test_basic_credentials_that_match_are_accepted() -> None:
    verify(basic_headers(USER, PASSWORD))
    # Header names are case-insensitive (a plain dict from a proxy may keep its own case).
    verify({"authorization": basic_headers(USER, PASSWORD)["Authorization"]})
    # A password may contain colons: only the first one separates the user.
    verify(basic_headers(USER, "a:b:c"), password="a:b:c")


@pytest.mark.parametrize(
    ("user", "password"),
    [(USER, "wrong"), ("someone-else", PASSWORD), (USER, ""), (USER, PASSWORD + " ")],
)
def test_basic_credentials_that_differ_are_refused(user: str, password: str) -> None:
    with pytest.raises(WebhookAuthError, match="Basic credentials do not match"):
        verify(basic_headers(user, password))


def test_missing_authorization_is_refused() -> None:
    with pytest.raises(WebhookAuthError, match="missing Authorization header"):
        verify({"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "value",
    [
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    ],
)
def test_malformed_basic_credentials_are_refused(value: str) -> None:
    with pytest.raises(WebhookAuthError, match="not valid Basic credentials"):
        verify({"Authorization": value})


def test_bearer_token_that_matches_is_accepted() -> None:
    verify(bearer_headers(TOKEN), user=None, password=None, token=TOKEN)
    # Both configured: either way in.
    verify(bearer_headers(TOKEN), token=TOKEN)
    verify(basic_headers(USER, PASSWORD), token=TOKEN)


@pytest.mark.parametrize("given", [TOKEN + "x", TOKEN[:-1], "", "Bearer"])
def test_bearer_token_that_differs_is_refused(given: str) -> None:
    with pytest.raises(WebhookAuthError, match="bearer token does not match"):
        verify({"Authorization": f"Bearer {given}"}, user=None, password=None, token=TOKEN)


def test_a_scheme_that_is_not_configured_is_refused() -> None:
    with pytest.raises(WebhookAuthError, match="Basic credentials are not accepted"):
        verify(basic_headers(USER, PASSWORD), user=None, password=None, token=TOKEN)
    with pytest.raises(WebhookAuthError, match="bearer tokens are not accepted"):
        verify(bearer_headers(TOKEN))
    with pytest.raises(WebhookAuthError, match="unsupported Authorization scheme 'digest'"):
        verify({"Authorization": 'Digest username="sapwebhooks"'})


@pytest.mark.parametrize(
    ("user", "password", "token"),
    [(None, None, None), ("", "", ""), (USER, None, None), (None, PASSWORD, None)],
)
def test_nothing_configured_refuses_every_request(
    user: str | None, password: str | None, token: str | None
) -> None:
    # Even a request that carries credentials: there is nothing to compare them with.
    with pytest.raises(WebhookAuthError, match=r"^SAP Commerce credentials not configured$"):
        verify(basic_headers(USER, PASSWORD), user=user, password=password, token=token)
