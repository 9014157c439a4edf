"""A generic signed HTTP target for any service desk: JSON POSTed with an HMAC-SHA256 signature
over `{timestamp}.{body}` in `X-Tidings-Signature: t=<unix>,v1=<hex>`, and an `Idempotency-Key`."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from connectors.errors import raise_for_provider_status, transport_error

PROVIDER = "Service desk"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class ServiceDeskClient:
    def __init__(self, http: httpx.AsyncClient, url: str, secret: str) -> None:
        self._http = http
        self._url = url
        self._secret = secret

    async def post(self, key: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Tidings-Signature": signature(self._secret, int(time.time()), body),
        }
        try:
            response = await self._http.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PROVIDER) from exc
        raise_for_provider_status(response, PROVIDER)
