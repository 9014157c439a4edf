"""How SapCommerceClient talks to one base site's SAP Commerce: its configuration, the Integration
API (OData v2, HTTP Basic with an integration user) and OCC (an OAuth token of a trusted client,
client credentials, cached until shortly before it expires and fetched again once on a 401).

Errors as `connectors.http_errors` classifies them: 404 → `ProviderError(kind="not_found")`,
permanent; 408, 429 and 5xx are transient (honouring `Retry-After`); other 4xx are permanent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from connectors.errors import ProviderError, transport_error
from connectors.http_errors import (
    configured,
    invalid_response,
    json_answer,
    not_configured,
    raise_for_status,
)
from connectors.sap_commerce.auth import basic_authorization

PROVIDER = "SAP Commerce"

ODATA_ROOT = "/odata2webservices"
OCC_ROOT = "/occ/v2"

TOKEN_MARGIN_SECONDS = 60.0  # refresh an OCC token this long before it expires


class SapApiConfig(BaseModel):
    """How to reach one base site's SAP Commerce (the lookup is per site: one installation may
    serve several)."""

    model_config = ConfigDict(frozen=True)

    base_url: str  # e.g. https://api.cxyz-commerce.model-t.cc.commerce.ondemand.com
    user: str  # an integration user allowed to read the Tidings IOs and post comments
    password: SecretStr
    # OCC (cancel and restock): a trusted OAuth client, client-credentials grant.
    occ_client_id: str | None = None
    occ_client_secret: SecretStr | None = None
    token_path: str = "/authorizationserver/oauth/token"
    catalog_version: str = "Online"  # the product catalog version the storefront shows
    product_catalog: str | None = None  # a product catalog id ("{site}" allowed); None: any
    cart_url: str | None = None  # the shopper's cart link, "{site}" and "{cart}" filled in


@dataclass
class _Token:
    value: str
    expires_at: float  # monotonic


class SapApiSession:
    """Configuration lookup and the OData / OCC requests, with the OCC token cache."""

    def __init__(self, http: httpx.AsyncClient, config: Callable[[str], SapApiConfig]) -> None:
        self._http = http
        self._config = config
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._token_locks: dict[tuple[str, str], asyncio.Lock] = {}

    def _cfg(self, store: str) -> SapApiConfig:
        return configured(self._config, store, PROVIDER)

    async def _odata(
        self,
        method: str,
        store: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        cfg = self._cfg(store)
        headers = {
            "Authorization": basic_authorization(cfg.user, cfg.password.get_secret_value()),
            "Accept": "application/json",
        }
        url = f"{cfg.base_url.rstrip('/')}{ODATA_ROOT}{path}"
        return await self._send(method, url, headers, params=params, json=json)

    async def _occ(self, method: str, store: str, path: str, json: Any) -> Any:
        cfg = self._cfg(store)
        url = f"{cfg.base_url.rstrip('/')}{path}"
        for attempt in range(2):
            token = await self._occ_token(cfg)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                return await self._send(method, url, headers, json=json)
            except ProviderError as exc:
                if exc.status != 401 or attempt:
                    raise
                self._tokens.pop((cfg.base_url, cfg.occ_client_id or ""), None)  # revoked early: once more
        return None  # pragma: no cover - the loop returns or raises

    async def _occ_token(self, cfg: SapApiConfig) -> str:
        client_id, secret = require_occ_client(cfg)
        key = (cfg.base_url, client_id)
        lock = self._token_locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached.expires_at:
                return cached.value
            url = f"{cfg.base_url.rstrip('/')}{cfg.token_path}"
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
            try:
                response = await self._http.post(url, data=form, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise transport_error(exc, PROVIDER) from exc
            raise_for_status(response, PROVIDER, _error_text)
            try:
                body = response.json()
                value = str(body["access_token"])
                lifetime = float(body.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise invalid_response(PROVIDER, "the OAuth token answer has no access_token") from None
            self._tokens[key] = _Token(value, time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0.0))
            return value

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        try:
            response = await self._http.request(method, url, headers=headers, params=params, json=json)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PROVIDER) from exc
        raise_for_status(response, PROVIDER, _error_text)
        return json_answer(response, PROVIDER)


def require_occ_client(cfg: SapApiConfig) -> tuple[str, str]:
    if not cfg.occ_client_id or cfg.occ_client_secret is None:
        raise not_configured(
            PROVIDER,
            "no OCC client configured for SAP Commerce: cancelling an order needs occ_client_id "
            "and occ_client_secret",
        )
    return cfg.occ_client_id, cfg.occ_client_secret.get_secret_value()


def _error_text(body: Any) -> str | None:
    """OData's `{"error": {"message": {"value": …}}}`, OCC's `{"errors": [{"message": …}]}`."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
            if isinstance(message, dict) and isinstance(message.get("value"), str):
                return str(message["value"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))
    return None
