"""What every sandbox BigCommerce route shares: the two error styles (V2 a list of `{status,
message}`, V3 one `{status, title, type, errors}` object), the `X-Auth-Token` checks, JSON bodies,
ids and dates as the real store writes them."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from connectors.sandbox import documents
from connectors.sandbox.rejections import Reject, bigcommerce_error
from connectors.sandbox.state import utc_now

NOT_FOUND = "The requested resource was not found."
TOKEN_MISSING = "You must provide a valid X-Auth-Token header."
V3_ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


def v3_error(status: int, title: str) -> Reject:
    """BigCommerce's V3 error: one object, not V2's list."""
    body = {"status": status, "title": title, "type": V3_ERROR_TYPE, "errors": {}}
    return Reject(JSONResponse(body, status_code=status))


def require_store_token(request: Request) -> None:
    """Any non-empty X-Auth-Token opens any store: the sandbox checks presence, not identity."""
    if not request.headers.get("X-Auth-Token", "").strip():
        raise bigcommerce_error(401, TOKEN_MISSING)


def require_v3_token(request: Request) -> None:
    if not request.headers.get("X-Auth-Token", "").strip():
        raise v3_error(401, TOKEN_MISSING)


StoreAuth = Depends(require_store_token)
V3Auth = Depends(require_v3_token)


def rfc2822_now() -> str:
    # V2 resources carry RFC 2822 dates ("Tue, 05 Mar 2024 10:00:00 +0000").
    return format_datetime(utc_now())


def record_id(value: str) -> int | str:
    """The id as the store writes it into the record: numeric ids are JSON numbers."""
    return int(value) if value.isdigit() else value


async def json_object(request: Request) -> dict[str, Any]:
    return await documents.json_object(request, lambda message: bigcommerce_error(400, message))


def redirect_urls(store_hash: str, cart_id: str) -> dict[str, str]:
    root = f"https://{store_hash}.example/cart.php"
    return {
        "cart_url": f"{root}?action=load&id={cart_id}",
        "checkout_url": f"{root}?action=loadInCheckout&id={cart_id}",
        "embedded_checkout_url": f"{root}?embedded=1&action=loadInCheckout&id={cart_id}",
    }
