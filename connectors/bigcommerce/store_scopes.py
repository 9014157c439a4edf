"""BigCommerce's catalog, customer and payment-transaction scopes (the order and cart scopes are in
`webhooks.py`): stock and price changes for the product watch, account news, failed payments for
operations. The module docstring of `webhooks.py` says what each scope becomes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, StrictInt

from connectors.bigcommerce.scope_parsing import BcId, Handler, Parsed
from connectors.webhook import parse_payload
from connectors.wire import Wire
from domain.events import AccountPayload, AlertKind, AlertPayload, EventType, ProductPayload


class _Inventory(Wire):
    product_id: BcId
    method: Literal["absolute", "relative"]  # absolute: set by API / control panel; relative: by an order
    value: StrictInt  # the new level (absolute) or the change in units (relative, may be negative)
    variant_id: BcId | None = None  # SKU scopes


class _InventoryData(Wire):
    id: BcId  # the product (product scopes) or the SKU (SKU scopes)
    inventory: _Inventory


class _ProductData(Wire):
    id: BcId
    properties: list[str] | None = None  # the changed fields, sent for channel-locale overrides only


class _CustomerData(Wire):
    id: BcId  # the customer


class _AddressOwner(Wire):
    customer_id: BcId


class _AddressData(Wire):
    id: BcId  # the address
    address: _AddressOwner


class _TransactionResult(Wire):
    code: str | int | None = None
    message: str | None = None
    type: str | None = None


class _TransactionData(Wire):
    order_id: BcId  # an integer in older payloads, a string in newer ones
    transaction_id: BcId | None = None
    transaction_status: str | None = None  # e.g. "complete"; older payloads leave it out
    transaction_type: str | None = None  # e.g. "capture"
    result: Annotated[_TransactionResult | None, BeforeValidator(lambda v: v or None)] = None


def inventory_scope(*, per_variant: bool) -> Handler:
    def handle(data: dict[str, Any]) -> Parsed:
        inventory = parse_payload(_InventoryData, data, "data").inventory
        # Only a product-level absolute value is the product's stock; see the module docstring.
        known = inventory.method == "absolute" and not per_variant
        extra: dict[str, Any] = {"inventory_method": inventory.method, "inventory_value": inventory.value}
        if inventory.variant_id is not None:
            extra["variant_id"] = inventory.variant_id
        product = ProductPayload(
            sku=inventory.product_id,
            product_id=inventory.product_id,
            available=inventory.value if known else None,
        )
        # a relative change ("-1") recurs with every sale; an absolute level is the same news again
        return Parsed(EventType.INVENTORY_CHANGED, product, extra, recurs=not known)

    return handle


PRICE_PROPERTIES = frozenset({"price", "sale_price", "calculated_price"})


def product_updated_scope(data: dict[str, Any]) -> Parsed | str:
    parsed = parse_payload(_ProductData, data, "data")
    if parsed.properties and PRICE_PROPERTIES.isdisjoint(parsed.properties):
        return f"product {parsed.id} changed ({', '.join(parsed.properties)}), not its price"
    return Parsed(EventType.PRICE_CHANGED, ProductPayload(sku=parsed.id, product_id=parsed.id), recurs=True)


def customer_scope(event_type: EventType, detail: str | None = None) -> Handler:
    def handle(data: dict[str, Any]) -> Parsed:
        customer_id = parse_payload(_CustomerData, data, "data").id
        return Parsed(event_type, AccountPayload(customer_id=customer_id, detail=detail))

    return handle


def address_scope(change: str) -> Handler:
    def handle(data: dict[str, Any]) -> Parsed:
        parsed = parse_payload(_AddressData, data, "data")
        return Parsed(
            EventType.ADDRESS_CHANGED,
            AccountPayload(customer_id=parsed.address.customer_id, detail=f"address {parsed.id} {change}"),
        )

    return handle


# Words that mean a transaction failed. BigCommerce documents the fields but not every value, so the
# list is kept to failure words; anything else ("complete", "pending", …) is not an alert.
FAILED_TRANSACTION = frozenset({"error", "failed", "failure", "declined", "decline", "rejected"})


def transaction_scope(data: dict[str, Any]) -> Parsed | str:
    parsed = parse_payload(_TransactionData, data, "data")
    status = (parsed.transaction_status or "").strip().lower()
    result = parsed.result or _TransactionResult()
    outcome = (result.type or "").strip().lower()
    if not status and not outcome:
        return f"transaction on order {parsed.order_id}: the webhook does not say how it went"
    if status not in FAILED_TRANSACTION and outcome not in FAILED_TRANSACTION:
        return f"transaction on order {parsed.order_id} is {status or outcome}, not a failure"
    what = " ".join(part for part in (parsed.transaction_type, parsed.transaction_status) if part)
    why = " ".join(str(part) for part in (result.code, result.message) if part not in (None, ""))
    alert = AlertPayload(
        kind=AlertKind.PAYMENT_GATEWAY_ERROR,
        # The payload does not name the gateway: one digest per store (the kind is the default key).
        key=AlertKind.PAYMENT_GATEWAY_ERROR.value,
        detail=": ".join(part for part in (what or "transaction failed", why) if part),
        order_id=parsed.order_id,
    )
    extra = {"transaction_id": parsed.transaction_id} if parsed.transaction_id else {}
    return Parsed(EventType.OPS_ALERT, alert, extra)
