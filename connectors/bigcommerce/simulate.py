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


INVENTORY_SCOPES = (
    "store/product/inventory/updated",
    "store/product/inventory/order/updated",
    "store/sku/inventory/updated",
    "store/sku/inventory/order/updated",
)


def inventory_webhook(
    store_hash: str,
    product_id: int | str,
    value: int,
    *,
    method: str = "absolute",
    scope: str = "store/product/inventory/updated",
    variant_id: int | None = None,
    sku_id: int | None = None,
    created_at: int | None = None,
) -> dict[str, Any]:
    """A stock change, one of `INVENTORY_SCOPES`: `method` "absolute" sets the level to `value` (the
    merchant, by API or control panel), "relative" changes it by `value` units (an order). The
    `store/sku/...` scopes are about a variant: they need `variant_id`, and `data.id` is the SKU
    (`sku_id`, by default the variant's id)."""
    inventory: dict[str, Any] = {"product_id": int(product_id), "method": method, "value": value}
    data: dict[str, Any] = {"type": "product", "id": int(product_id), "inventory": inventory}
    if scope.startswith("store/sku/"):
        if variant_id is None:
            raise ValueError(f"{scope} is about a variant: give variant_id")
        inventory["variant_id"] = variant_id
        data.update(type="sku", id=sku_id if sku_id is not None else variant_id)
    return _payload(store_hash, scope, data, created_at)


def product_updated_webhook(
    store_hash: str, product_id: int | str, *, properties: list[str] | None = None
) -> dict[str, Any]:
    """`store/product/updated`: any change to the product; `properties` (the changed fields) only
    come with channel-locale overrides, with the channel and locale as `context`."""
    data: dict[str, Any] = {"type": "product", "id": int(product_id)}
    if properties is not None:
        data["properties"] = properties
        data["context"] = {"channel_id": 1, "locale": "en"}
    return _payload(store_hash, "store/product/updated", data)


CUSTOMER_SCOPES = (
    "store/customer/created",
    "store/customer/updated",
    "store/customer/deleted",
    "store/customer/payment/instrument/default/updated",
)


def customer_webhook(store_hash: str, scope: str, customer_id: int | str) -> dict[str, Any]:
    """One of `CUSTOMER_SCOPES`: `data.id` is the customer."""
    return _payload(store_hash, scope, {"type": "customer", "id": int(customer_id)})


def address_webhook(
    store_hash: str, customer_id: int | str, address_id: int, *, created: bool = True
) -> dict[str, Any]:
    """`store/customer/address/created|updated`: `data.id` is the address, its owner beside it."""
    scope = "store/customer/address/created" if created else "store/customer/address/updated"
    data = {"type": "customer", "id": address_id, "address": {"customer_id": int(customer_id)}}
    return _payload(store_hash, scope, data)


def transaction_webhook(
    store_hash: str,
    order_id: int | str,
    *,
    status: str = "complete",
    transaction_type: str = "capture",
    code: str | None = None,
    message: str | None = None,
    created: bool = True,
) -> dict[str, Any]:
    """`store/order/transaction/created|updated` as BigCommerce sends it now (`order_id` a string,
    the status and the gateway's `result`). A failed capture: `status="error"` with the gateway's
    `code` and `message` (sent as `result`, type "error")."""
    scope = "store/order/transaction/created" if created else "store/order/transaction/updated"
    data: dict[str, Any] = {
        "type": "transaction",
        "order_id": str(order_id),
        "transaction_id": f"tx-{order_id}-{transaction_type}",
        "transaction_status": status,
        "transaction_type": transaction_type,
        "platform_transaction_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{store_hash}/{order_id}")),
        "provider_transaction_id": f"ch_{order_id}",
    }
    if code is not None or message is not None:
        data["result"] = {"code": code or "", "message": message or "", "type": "error"}
    return _payload(store_hash, scope, data)
