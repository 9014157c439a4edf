"""Parse BigCommerce webhook bodies into canonical `CommerceEvent`s.

BigCommerce payloads are thin (ids and, for status changes, the status ids): the details are
read later by hydration through the REST API. Authenticity is checked before this, in
`signature.py`.

Order and shipment scopes become events with an `OrderPayload`; the cart scopes
(`store/cart/created|updated|abandoned|converted|deleted`, `data.id` = the cart's UUID, converted
also `orderId`) become events with a `CartPayload`. A customer's order message
(`store/order/message/created`) opens the order's service case; a refund is also told to that case.
Other scopes (e.g. `store/cart/lineItem/*`) are ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from connectors.bigcommerce.status_map import STATUS_NAMES, stage_for_status
from connectors.errors import WebhookPayloadError
from connectors.webhook import ParsedWebhook
from domain.events import (
    CartPayload,
    CaseKind,
    CasePayload,
    CommerceEvent,
    EventType,
    OrderPayload,
    Platform,
)

_STORE_HASH = re.compile(r"[A-Za-z0-9_-]+")  # it goes into workflow ids and API paths


def _as_id(value: object) -> str:
    # BigCommerce sends integer ids; we carry every id as a string. bool is an int in Python: refuse it.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise PydanticCustomError("bigcommerce_id", "must be an integer or a non-empty string")


_Id = Annotated[str, BeforeValidator(_as_id)]
_Model = TypeVar("_Model", bound=BaseModel)
_Handler = Callable[[dict[str, Any]], tuple[EventType, OrderPayload | CartPayload | CasePayload]]


class _Wire(BaseModel):
    # Unknown fields are ignored: BigCommerce adds fields without notice.
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Envelope(_Wire):
    scope: str = Field(min_length=1)
    producer: str = Field(min_length=1)
    data: dict[str, Any]
    store_id: _Id | None = None
    hash: str | None = None
    created_at: StrictInt


class _OrderData(_Wire):
    id: _Id


class _Status(_Wire):
    previous_status_id: StrictInt | None = None
    new_status_id: StrictInt


class _StatusData(_Wire):
    id: _Id
    status: _Status


class _Refund(_Wire):
    refund_id: _Id | None = Field(default=None, validation_alias=AliasChoices("refund_id", "id"))


class _RefundData(_Wire):
    id: _Id
    refund: _Refund | None = None
    refund_id: _Id | None = None  # seen flat in some payloads


class _ShipmentData(_Wire):
    id: _Id
    order_id: _Id = Field(validation_alias=AliasChoices("orderId", "order_id"))


class _MessageData(_Wire):
    id: _Id  # the order the customer wrote about; the message itself is read through the API


class _CartData(_Wire):
    id: _Id  # the cart's UUID; extras (e.g. abandoned's `token`) are ignored


class _ConvertedCartData(_CartData):
    # The order the cart became. Optional: the conversion itself is what ends a cart journey.
    order_id: _Id | None = Field(default=None, validation_alias=AliasChoices("orderId", "order_id"))


def parse_webhook(body: bytes) -> ParsedWebhook:
    """Parse a raw webhook body; raise `WebhookPayloadError` naming the problem if malformed."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"body is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise WebhookPayloadError(f"body must be a JSON object, not {type(raw).__name__}")
    envelope = _validate(_Envelope, raw, "")
    store = _store_hash(envelope.producer)

    handler = _HANDLERS.get(envelope.scope)
    if handler is None:
        return ParsedWebhook(
            scope=envelope.scope, events=[], ignored=f"scope {envelope.scope} is not handled"
        )
    event_type, payload = handler(envelope.data)
    event = CommerceEvent(
        event_id=envelope.hash or _fallback_event_id(envelope),
        platform=Platform.BIGCOMMERCE,
        store=store,
        type=event_type,
        occurred_at=datetime.fromtimestamp(envelope.created_at, UTC),
        order=payload if isinstance(payload, OrderPayload) else None,
        cart=payload if isinstance(payload, CartPayload) else None,
        case=payload if isinstance(payload, CasePayload) else None,
        raw_scope=envelope.scope,
        extra={"store_id": envelope.store_id} if envelope.store_id else {},
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


def _message_created(data: dict[str, Any]) -> tuple[EventType, CasePayload]:
    order_id = _validate(_MessageData, data, "data").id
    return EventType.CASE_OPENED, CasePayload(
        case_id=order_case_id(order_id), kind=CaseKind.CUSTOMER_MESSAGE, order_id=order_id
    )


def _store_hash(producer: str) -> str:
    prefix, _, store_hash = producer.partition("/")
    if prefix != "stores" or not _STORE_HASH.fullmatch(store_hash):
        raise WebhookPayloadError(f"producer must look like stores/{{store_hash}}, got {producer!r}")
    return store_hash


def _fallback_event_id(envelope: _Envelope) -> str:
    # No `hash`: derive a stable key from what identifies the event, so a redelivery still dedupes.
    canonical = json.dumps(
        {"scope": envelope.scope, "data": envelope.data, "created_at": envelope.created_at},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha1(canonical.encode()).hexdigest()


def _validate(model: type[_Model], value: dict[str, Any], prefix: str) -> _Model:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise WebhookPayloadError(_describe(exc, prefix)) from None


def _describe(exc: ValidationError, prefix: str) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
        if error["type"] == "missing":
            problems.append(f"{where} is missing")
        else:
            problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _order(event_type: EventType) -> _Handler:
    # created/updated/archived carry only the order id; stage None lets hydration decide.
    def handle(data: dict[str, Any]) -> tuple[EventType, OrderPayload]:
        return event_type, OrderPayload(order_id=_validate(_OrderData, data, "data").id)

    return handle


def _status_updated(data: dict[str, Any]) -> tuple[EventType, OrderPayload]:
    parsed = _validate(_StatusData, data, "data")
    previous = parsed.status.previous_status_id
    new = parsed.status.new_status_id
    return EventType.ORDER_STATUS_CHANGED, OrderPayload(
        order_id=parsed.id,
        stage=stage_for_status(new),
        previous_stage=stage_for_status(previous) if previous is not None else None,
        platform_status=STATUS_NAMES[new],
    )


def _refund_created(data: dict[str, Any]) -> tuple[EventType, OrderPayload]:
    parsed = _validate(_RefundData, data, "data")
    refund_id = (parsed.refund.refund_id if parsed.refund else None) or parsed.refund_id
    return EventType.ORDER_REFUNDED, OrderPayload(order_id=parsed.id, refund_id=refund_id)


def _shipment(event_type: EventType) -> _Handler:
    def handle(data: dict[str, Any]) -> tuple[EventType, OrderPayload]:
        parsed = _validate(_ShipmentData, data, "data")
        return event_type, OrderPayload(order_id=parsed.order_id, shipment_id=parsed.id)

    return handle


def _cart(event_type: EventType) -> _Handler:
    def handle(data: dict[str, Any]) -> tuple[EventType, CartPayload]:
        if event_type is EventType.CART_CONVERTED:
            converted = _validate(_ConvertedCartData, data, "data")
            return event_type, CartPayload(cart_id=converted.id, order_id=converted.order_id)
        return event_type, CartPayload(cart_id=_validate(_CartData, data, "data").id)

    return handle


_HANDLERS: dict[str, _Handler] = {
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
}
