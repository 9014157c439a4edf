"""Parse BigCommerce webhook bodies into canonical `CommerceEvent`s.

BigCommerce payloads are thin (ids and, for status changes, the status ids): the details are
read later by hydration through the REST API. Authenticity is checked before this, in
`signature.py`. What each scope becomes:

- order and shipment scopes: an `OrderPayload`; a customer's order message
  (`store/order/message/created`) opens the order's service case; a refund is also told to that case.
- `store/cart/created|updated|abandoned|converted|deleted` (`data.id` = the cart's UUID, converted
  also `orderId`): a `CartPayload`.
- `store/product/inventory/updated`, `store/product/inventory/order/updated` and the `store/sku/...`
  twins (`data.inventory {product_id, variant_id?, method, value}`): INVENTORY_CHANGED. Products are
  keyed by product id (`ProductPayload.sku` = the product id as a string), because that is all the
  webhooks name. `available` is the value only for a product-level "absolute" update; a "relative"
  value is a change by so many units, and a variant's level is not the product's, so for those the
  product journey reads the stock (`BigCommerceClient.fetch_stock`).
- `store/product/updated`: PRICE_CHANGED with no price (the journey reads it). BigCommerce fires it
  for any change to the product, so most of these are not price changes; the journey compares. When
  the payload lists the changed `properties` (channel-locale overrides) and none is a price, it is
  ignored.
- `store/customer/created` ACCOUNT_REGISTERED, `store/customer/updated` PROFILE_CHANGED,
  `store/customer/address/created|updated` ADDRESS_CHANGED, and
  `store/customer/payment/instrument/default/updated` SECURITY_CHANGED (a different card is now
  charged by default: the account holder should hear of it, like a password change).
  BigCommerce has no webhook for password resets or expiring payment methods, so PASSWORD_RESET and
  PAYMENT_METHOD_EXPIRING never come from here. `store/customer/deleted` is ignored.
- `store/order/transaction/created|updated` whose `transaction_status` (or `result.type`) says it
  failed: an OPS_ALERT of kind PAYMENT_GATEWAY_ERROR about the order. The payload does not name the
  gateway, so the alert key is the kind's (one digest per store); successful ones are ignored.
- Ignored, with the reason in the answer: `store/cart/lineItem/*` (the cart's own `updated` covers
  it), `store/hook/deliveryException` (about our endpoint, not a shopper), and every other scope.
  BigCommerce sends no wishlist webhooks: back-in-stock and price-drop watches come in through the
  subscriptions API instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, Field, StrictInt

from connectors.bigcommerce.scope_parsing import BcId, Handler, Parsed
from connectors.bigcommerce.status_map import STATUS_NAMES, stage_for_status
from connectors.bigcommerce.store_scopes import (
    address_scope,
    customer_scope,
    inventory_scope,
    product_updated_scope,
    transaction_scope,
)
from connectors.errors import WebhookPayloadError
from connectors.webhook import ParsedWebhook, json_object_body, parse_payload
from connectors.wire import Wire
from domain.events import (
    AccountPayload,
    AlertPayload,
    CartPayload,
    CaseKind,
    CasePayload,
    CommerceEvent,
    CustomerRef,
    EventType,
    OrderPayload,
    Platform,
    ProductPayload,
)

_STORE_HASH = re.compile(r"[A-Za-z0-9_-]+")  # it goes into workflow ids and API paths


class _Envelope(Wire):
    scope: str = Field(min_length=1)
    producer: str = Field(min_length=1)
    data: dict[str, Any]
    store_id: BcId | None = None
    hash: str | None = None
    created_at: StrictInt = Field(ge=0, le=253402300799)  # unix seconds up to the end of year 9999


class _OrderData(Wire):
    id: BcId


class _Status(Wire):
    previous_status_id: StrictInt | None = None
    new_status_id: StrictInt


class _StatusData(Wire):
    id: BcId
    status: _Status


class _Refund(Wire):
    refund_id: BcId | None = Field(default=None, validation_alias=AliasChoices("refund_id", "id"))


class _RefundData(Wire):
    id: BcId
    refund: _Refund | None = None
    refund_id: BcId | None = None  # seen flat in some payloads


class _ShipmentData(Wire):
    id: BcId
    order_id: BcId = Field(validation_alias=AliasChoices("orderId", "order_id"))


class _MessageData(Wire):
    id: BcId  # the order the customer wrote about; the message itself is read through the API


class _CartData(Wire):
    id: BcId  # the cart's UUID; extras (e.g. abandoned's `token`) are ignored


class _ConvertedCartData(_CartData):
    # The order the cart became. Optional: the conversion itself is what ends a cart journey.
    order_id: BcId | None = Field(default=None, validation_alias=AliasChoices("orderId", "order_id"))


def parse_webhook(body: bytes) -> ParsedWebhook:
    """Parse a raw webhook body; raise `WebhookPayloadError` naming the problem if malformed."""
    envelope = parse_payload(_Envelope, json_object_body(body))
    store = _store_hash(envelope.producer)

    handler = _HANDLERS.get(envelope.scope)
    if handler is None:
        reason = next((why for prefix, why in _IGNORED_PREFIXES if envelope.scope.startswith(prefix)), None)
        return ParsedWebhook(
            scope=envelope.scope, events=[], ignored=reason or f"scope {envelope.scope} is not handled"
        )
    outcome = handler(envelope.data)
    if isinstance(outcome, str):
        return ParsedWebhook(scope=envelope.scope, events=[], ignored=outcome)
    event_type, payload = outcome.type, outcome.payload
    event = CommerceEvent(
        event_id=_event_id(envelope, outcome.recurs),
        platform=Platform.BIGCOMMERCE,
        store=store,
        type=event_type,
        occurred_at=datetime.fromtimestamp(envelope.created_at, UTC),
        customer=CustomerRef(customer_id=payload.customer_id)
        if isinstance(payload, AccountPayload)
        else CustomerRef(),
        order=payload if isinstance(payload, OrderPayload) else None,
        cart=payload if isinstance(payload, CartPayload) else None,
        case=payload if isinstance(payload, CasePayload) else None,
        product=payload if isinstance(payload, ProductPayload) else None,
        account=payload if isinstance(payload, AccountPayload) else None,
        alert=payload if isinstance(payload, AlertPayload) else None,
        raw_scope=envelope.scope,
        extra={**({"store_id": envelope.store_id} if envelope.store_id else {}), **outcome.extra},
    )
    events = [event]
    if event_type is EventType.ORDER_REFUNDED and isinstance(payload, OrderPayload):
        # A refund is also news for the order's open service case, if it has one.
        events.append(
            event.model_copy(
                update={
                    "event_id": f"{event.event_id}:case",
                    "type": EventType.CASE_UPDATED,
                    "order": None,
                    "case": CasePayload(
                        case_id=order_case_id(payload.order_id),
                        kind=CaseKind.REFUND,
                        order_id=payload.order_id,
                        detail="refund_issued",
                    ),
                }
            )
        )
    return ParsedWebhook(scope=envelope.scope, events=events)


def order_case_id(order_id: str) -> str:
    """BigCommerce has no case object: a customer's conversation about an order is the order's case."""
    return f"order-{order_id}"


def _message_created(data: dict[str, Any]) -> Parsed:
    order_id = parse_payload(_MessageData, data, "data").id
    return Parsed(
        EventType.CASE_OPENED,
        CasePayload(case_id=order_case_id(order_id), kind=CaseKind.CUSTOMER_MESSAGE, order_id=order_id),
    )


def _store_hash(producer: str) -> str:
    prefix, _, store_hash = producer.partition("/")
    if prefix != "stores" or not _STORE_HASH.fullmatch(store_hash):
        raise WebhookPayloadError(f"producer must look like stores/{{store_hash}}, got {producer!r}")
    return store_hash


def _event_id(envelope: _Envelope, recurs: bool) -> str:
    if not envelope.hash:
        return _fallback_event_id(envelope)
    return f"{envelope.hash}:{envelope.created_at}" if recurs else envelope.hash


def _fallback_event_id(envelope: _Envelope) -> str:
    # No `hash`: derive a stable key from what identifies the event, so a redelivery still dedupes.
    canonical = json.dumps(
        {"scope": envelope.scope, "data": envelope.data, "created_at": envelope.created_at},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha1(canonical.encode()).hexdigest()


def _order(event_type: EventType) -> Handler:
    # created/updated/archived carry only the order id; stage None lets hydration decide.
    def handle(data: dict[str, Any]) -> Parsed:
        return Parsed(event_type, OrderPayload(order_id=parse_payload(_OrderData, data, "data").id))

    return handle


def _status_updated(data: dict[str, Any]) -> Parsed:
    parsed = parse_payload(_StatusData, data, "data")
    previous = parsed.status.previous_status_id
    new = parsed.status.new_status_id
    return Parsed(
        EventType.ORDER_STATUS_CHANGED,
        OrderPayload(
            order_id=parsed.id,
            stage=stage_for_status(new),
            previous_stage=stage_for_status(previous) if previous is not None else None,
            platform_status=STATUS_NAMES[new],
        ),
    )


def _refund_created(data: dict[str, Any]) -> Parsed:
    parsed = parse_payload(_RefundData, data, "data")
    refund_id = (parsed.refund.refund_id if parsed.refund else None) or parsed.refund_id
    return Parsed(EventType.ORDER_REFUNDED, OrderPayload(order_id=parsed.id, refund_id=refund_id))


def _shipment(event_type: EventType) -> Handler:
    def handle(data: dict[str, Any]) -> Parsed:
        parsed = parse_payload(_ShipmentData, data, "data")
        return Parsed(event_type, OrderPayload(order_id=parsed.order_id, shipment_id=parsed.id))

    return handle


def _cart(event_type: EventType) -> Handler:
    def handle(data: dict[str, Any]) -> Parsed:
        if event_type is EventType.CART_CONVERTED:
            converted = parse_payload(_ConvertedCartData, data, "data")
            return Parsed(event_type, CartPayload(cart_id=converted.id, order_id=converted.order_id))
        return Parsed(event_type, CartPayload(cart_id=parse_payload(_CartData, data, "data").id))

    return handle


def _ignored(reason: str) -> Handler:
    def handle(data: dict[str, Any]) -> str:
        return reason

    return handle


_HANDLERS: dict[str, Handler] = {
    "store/order/created": _order(EventType.ORDER_CREATED),
    "store/order/updated": _order(EventType.ORDER_UPDATED),
    "store/order/archived": _order(EventType.ORDER_ARCHIVED),
    "store/order/statusUpdated": _status_updated,
    "store/order/refund/created": _refund_created,
    "store/order/message/created": _message_created,
    "store/shipment/created": _shipment(EventType.SHIPMENT_CREATED),
    "store/shipment/updated": _shipment(EventType.SHIPMENT_UPDATED),
    "store/cart/created": _cart(EventType.CART_CREATED),
    "store/cart/updated": _cart(EventType.CART_UPDATED),
    "store/cart/abandoned": _cart(EventType.CART_ABANDONED),
    "store/cart/converted": _cart(EventType.CART_CONVERTED),
    "store/cart/deleted": _cart(EventType.CART_DELETED),
    "store/product/inventory/updated": inventory_scope(per_variant=False),
    "store/product/inventory/order/updated": inventory_scope(per_variant=False),
    "store/sku/inventory/updated": inventory_scope(per_variant=True),
    "store/sku/inventory/order/updated": inventory_scope(per_variant=True),
    "store/product/updated": product_updated_scope,
    "store/customer/created": customer_scope(EventType.ACCOUNT_REGISTERED),
    "store/customer/updated": customer_scope(EventType.PROFILE_CHANGED),
    "store/customer/address/created": address_scope("created"),
    "store/customer/address/updated": address_scope("updated"),
    "store/customer/payment/instrument/default/updated": customer_scope(
        EventType.SECURITY_CHANGED, "default payment method"
    ),
    "store/customer/deleted": _ignored("a deleted customer account gets no messages"),
    "store/order/transaction/created": transaction_scope,
    "store/order/transaction/updated": transaction_scope,
    "store/hook/deliveryException": _ignored(
        "a report that BigCommerce could not deliver a webhook to us: it retries by itself, and it is "
        "about this endpoint, not a shopper"
    ),
}

_IGNORED_PREFIXES = (
    ("store/cart/lineItem/", "cart line item changes also fire store/cart/updated, which is followed"),
)
