"""Authorization for OpenText Cloud Messaging: OAuth 2.0 client credentials (cached bearer token)
or, for accounts without a service client, HTTP Basic with the account's user and password."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable

import httpx

from connectors.errors import ProviderError, raise_for_provider_status, transport_error

PROVIDER = "OpenText"


def error_kind(name: str) -> str:
    """`ProviderError.kind` for errors raised here, spelled the way `connectors.errors` spells the
    kinds it derives from the provider name, so a workflow sees one prefix for all OpenText errors."""
    return PROVIDER.replace(" ", "") + name


# Refresh this long before the token expires, so a request never leaves with a token that dies in
# flight.
REFRESH_MARGIN_SECONDS = 60.0
# When the token endpoint omits `expires_in`: short enough that a wrong guess heals itself soon.
DEFAULT_EXPIRES_IN = 300.0


def basic_credentials(user: str, password: str) -> str:
    """The value of an `Authorization: Basic …` header."""
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class TokenProvider:
    """Hands out the Authorization header value for OpenText API calls.

    OAuth mode (token_url + client_id + client_secret): one token shared by every call of the
    worker, fetched on first use and again 60 s before it expires. The lock makes concurrent
    callers wait for a single refresh instead of each fetching its own token.
    Basic mode (username set): a fixed header, nothing to fetch or refresh.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if username is None and not (token_url and client_id and client_secret is not None):
            raise ValueError("OpenText auth needs token_url, client_id and client_secret, or a username")
        self._http = http
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._basic = basic_credentials(username, password or "") if username is not None else None
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    @property
    def uses_basic(self) -> bool:
        return self._basic is not None

    async def authorization(self) -> str:
        """`Basic …` or `Bearer <token>`, fetching a token only when the cached one is stale."""
        if self._basic is not None:
            return self._basic
        cached = self._fresh_token()
        if cached is not None:
            return cached
        async with self._lock:
            # Another caller may have refreshed while this one waited for the lock.
            cached = self._fresh_token()
            if cached is not None:
                return cached
            token, expires_in = await self._fetch()
            self._token = f"Bearer {token}"
            self._expires_at = self._clock() + expires_in
            return self._token

    def invalidate(self, rejected: str | None = None) -> None:
        """Forget the cached token after the API answered 401. Pass the header value that was
        rejected: if a concurrent caller already replaced it, the newer token is kept."""
        if rejected is not None and rejected != self._token:
            return
        self._token = None
        self._expires_at = 0.0

    def _fresh_token(self) -> str | None:
        if self._token is not None and self._clock() < self._expires_at - self._refresh_margin:
            return self._token
        return None

    async def _fetch(self) -> tuple[str, float]:
        assert self._token_url is not None and self._client_id is not None
        try:
            response = await self._http.post(
                self._token_url,
                data={"grant_type": "client_credentials"},
                auth=(self._client_id, self._client_secret or ""),
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise transport_error(exc, PROVIDER) from exc
        raise_for_provider_status(response, PROVIDER)
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (ValueError, KeyError, TypeError) as exc:
            # A 2xx without a usable token is the server misbehaving, like a 5xx: worth a retry.
            raise ProviderError(
                f"{PROVIDER} token endpoint answered without a usable access_token: {response.text[:200]}",
                provider=PROVIDER,
                kind=error_kind("BadTokenResponse"),
                transient=True,
                status=response.status_code,
            ) from exc
        if not isinstance(token, str) or not token:
            raise ProviderError(
                f"{PROVIDER} token endpoint returned an empty access_token",
                provider=PROVIDER,
                kind=error_kind("BadTokenResponse"),
                transient=True,
                status=response.status_code,
            )
        return token, expires_in
