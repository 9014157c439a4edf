"""Build BigCommerce webhook requests as BigCommerce sends them: thin payloads, signed per Standard
Webhooks. The demo, the benchmark and the tests use these to play a store's events."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from connectors.bigcommerce.signature import sign_webhook


def _payload(
    store_hash: str, scope: str, data: dict[str, Any], created_at: int | None = None
) -> dict[str, Any]:
    created = created_at if created_at is not None else int(time.time())
    # BigCommerce's `hash` is a SHA-1 over the event; it repeats when the same event is sent again.
    digest = hashlib.sha1(json.dumps([scope, data, created], sort_keys=True).encode()).hexdigest()
    return {
        "scope": scope,
        "store_id": "1001",
        "data": data,
        "hash": digest,
        "created_at": created,
        "producer": f"stores/{store_hash}",
    }


def order_webhook(
    store_hash: str,
    scope: str,
    order_id: int | str,
    *,
    new_status: int | None = None,
    previous_status: int | None = None,
    created_at: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "order", "id": int(order_id)}
    if new_status is not None:
        data["status"] = {"previous_status_id": previous_status or 0, "new_status_id": new_status}
    return _payload(store_hash, scope, data, created_at)


def refund_webhook(store_hash: str, order_id: int | str, refund_id: int) -> dict[str, Any]:
    data = {"type": "order", "id": int(order_id), "refund": {"refund_id": refund_id}}
    return _payload(store_hash, "store/order/refund/created", data)


def shipment_webhook(
    store_hash: str, order_id: int | str, shipment_id: int, *, created: bool = True
) -> dict[str, Any]:
    scope = "store/shipment/created" if created else "store/shipment/updated"
    return _payload(store_hash, scope, {"type": "shipment", "id": shipment_id, "orderId": int(order_id)})


CART_SCOPES = (
    "store/cart/created",
    "store/cart/updated",
    "store/cart/abandoned",
    "store/cart/converted",
    "store/cart/deleted",
)


def cart_webhook(
    store_hash: str,
    scope: str,
    cart_id: str,
    order_id: int | str | None = None,
    *,
    created_at: int | None = None,
) -> dict[str, Any]:
    """A `store/cart/*` webhook: `data.id` is the cart's UUID; `order_id` (for
    `store/cart/converted`) becomes `data.orderId`, an integer as BigCommerce sends it."""
    data: dict[str, Any] = {"type": "cart", "id": cart_id}
    if order_id is not None:
        data["orderId"] = int(order_id)
    return _payload(store_hash, scope, data, created_at)


def signed_headers(body: bytes, client_secret: str) -> dict[str, str]:
    return sign_webhook(
        body, client_secret=client_secret, msg_id=f"msg_{uuid.uuid4().hex}", timestamp=datetime.now(UTC)
    )


def message_webhook(store_hash: str, order_id: int | str, message_id: int = 1) -> dict[str, Any]:
    """A customer wrote to the store about an order (it opens the order's service case)."""
    data = {"type": "order", "id": int(order_id), "message": {"id": message_id}}
    return _payload(store_hash, "store/order/message/created", data)
