"""Parse SFCC webhook bodies into canonical `CommerceEvent`s.

B2C Commerce has no webhooks of its own; the contract is ours (the cartridge in deploy/sfcc sends
it): an envelope `{event_id, event_type, site_id, occurred_at, data}` published as JSON Schema in
`envelope.schema.json` and validated against it (errors name the JSON path). `data` is the OCAPI
document of the thing the event is about, so events are rich: the order events carry the whole
order, and the stage comes from `status_map.py`. `event_id` is the dedupe key, `site_id` the store.
Salesforce Order Management platform events are accepted on the same endpoint (`oms.py`).

| event_type                        | canonical event(s)                       | data                        |
|-----------------------------------|------------------------------------------|-----------------------------|
| order.created                     | ORDER_CREATED (stage from the table)     | OCAPI order                 |
| order.updated                     | ORDER_STATUS_CHANGED, and PICKUP_WINDOW_ | OCAPI order                 |
|                                   | CHANGED when a pickup order's            |                             |
|                                   | c_pickupWindowEnd moved (differs from    |                             |
|                                   | c_previousPickupWindowEnd)               |                             |
| order.refunded                    | ORDER_REFUNDED (refund_id c_refundId;    | OCAPI order                 |
|                                   | the journey reads full vs partial)       |                             |
| order.refund_completed            | REFUND_COMPLETED (amount c_refundAmount) | OCAPI order                 |
| basket.abandoned/updated/converted| CART_ABANDONED / CART_UPDATED /          | OCAPI basket (+ order_no)   |
|                                   | CART_CONVERTED                           |                             |
| case.opened/updated/closed        | CASE_OPENED / CASE_UPDATED / CASE_CLOSED | Service Cloud Case          |
| inventory.changed                 | INVENTORY_CHANGED (available = ats)      | product inventory record    |
| product.price_changed             | PRICE_CHANGED                            | OCAPI product               |
| wishlist.item_added               | PRODUCT_WATCHED (c_watch)                | product_list_item + customer|
| reservation.expiring              | RESERVATION_EXPIRING (c_reservedUntil)   | product_id + customer_info  |

Account, loyalty and operations events (data: the OCAPI customer profile, with c_* facts):
- customer.registered / .verification / .password_reset / .profile_changed / .security_changed /
  .address_changed: ACCOUNT_REGISTERED / ACCOUNT_VERIFICATION / PASSWORD_RESET / PROFILE_CHANGED /
  SECURITY_CHANGED / ADDRESS_CHANGED (detail c_change, link c_link); a profile change carrying a
  birthday also gives CUSTOMER_UPDATED (birthday "MM-DD") for the customer lifecycle journey.
- customer.payment_method_expiring: PAYMENT_METHOD_EXPIRING, expiring at the end of the earliest
  card's expiry month (UTC), detail the masked card number.
- customer.suggestions, loyalty.points_earned / .reward_expiring / .tier_changed: PRODUCT_SUGGESTIONS
  (c_products), POINTS_EARNED (c_points, c_pointsBalance), REWARD_EXPIRING (c_rewardValue,
  c_rewardCurrency, c_rewardExpiresAt), TIER_CHANGED (c_tier, c_previousTier).
- checkout.failed, payment.gateway_error, catalog.import_failed, promotion.misconfigured,
  product.unavailable (data: message plus the qualifier c_reason, c_gateway, catalog_id,
  promotion_id, product_id): OPS_ALERT keyed "{kind}:{qualifier}", or the kind alone without one.

Case kinds come from the Case `Type`: "Return" → return_request, "Refund" → refund, "Delivery
Dispute" → delivery_dispute, anything else → customer_message; the case id is the `CaseNumber`.
Customers are keyed as `documents.customer_key` says (customer_no, else customer_id).
Unknown event types are ignored (HTTP 200), so a newer cartridge never breaks an older Tidings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, Final, TypeVar

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from pydantic import BaseModel, Field

from connectors.errors import WebhookPayloadError
from connectors.sfcc import oms
from connectors.sfcc.documents import (
    BasketDocument,
    CaseRecord,
    CustomerInfo,
    CustomerProfile,
    Doc,
    InventoryRecord,
    OrderDocument,
    ProductDocument,
    Text,
    customer_key,
    end_of_month,
)
from connectors.sfcc.status_map import DEFAULT_PICKUP_METHODS, PickupMethods, platform_status, stage_for
from connectors.webhook import ParsedWebhook, json_object_body, parse_payload
from connectors.wire import Wire
from domain.events import (
    AccountPayload,
    AlertKind,
    AlertPayload,
    CartPayload,
    CaseKind,
    CasePayload,
    CommerceEvent,
    CustomerRef,
    EventType,
    OrderPayload,
    OrderStage,
    Platform,
    ProductPayload,
    WatchKind,
)

SCHEMA: Final[dict[str, Any]] = json.loads(
    resources.files("connectors.sfcc").joinpath("envelope.schema.json").read_text(encoding="utf-8")
)
EVENT_TYPES: Final[frozenset[str]] = frozenset(SCHEMA["$defs"]["event_type"]["enum"])
_SITE_ID = re.compile(SCHEMA["properties"]["site_id"]["pattern"])
MAX_PROBLEMS = 5  # a body wrong in fifty places gets the first five named
_DELIVERY_STAGES = frozenset(
    {OrderStage.PARTIALLY_SHIPPED, OrderStage.SHIPPED, OrderStage.OUT_FOR_DELIVERY, OrderStage.DELIVERED}
)

_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # RFC 3339 wants an offset: a naive time would be read in whatever zone the reader is in.
    return not isinstance(value, str) or (
        "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None
    )


@_formats.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


_VALIDATOR: Final = Draft202012Validator(SCHEMA, format_checker=_formats)


class Envelope(Wire):
    event_id: str
    event_type: str
    site_id: str
    occurred_at: datetime
    data: dict[str, Any]


_D = TypeVar("_D", bound=BaseModel)
# A handler turns one envelope into events, or says in a sentence why it is ignored.
_Handler = Callable[[Envelope, PickupMethods], list[CommerceEvent] | str]


def parse_webhook(body: bytes, *, pickup_methods: PickupMethods = DEFAULT_PICKUP_METHODS) -> ParsedWebhook:
    """Parse a raw (already verified) body: our envelope or an Order Management platform event.
    Raises `WebhookPayloadError` naming the JSON path of what is wrong."""
    raw = json_object_body(body, parse_float=Decimal)  # amounts keep the cents they were sent with
    name = oms.event_name(raw)
    if name is not None and "event_type" not in raw:
        return oms.parse_oms(raw, name)
    problems = sorted(_VALIDATOR.iter_errors(raw), key=lambda e: (list(e.absolute_path), e.message))
    if problems:
        raise WebhookPayloadError("; ".join(_describe(p) for p in problems[:MAX_PROBLEMS]))
    envelope = Envelope.model_validate(raw)
    handler = _HANDLERS.get(envelope.event_type)
    if handler is None:
        return ParsedWebhook(
            scope=envelope.event_type, events=[], ignored=f"event type {envelope.event_type} is not handled"
        )
    outcome = handler(envelope, pickup_methods)
    if isinstance(outcome, str):
        return ParsedWebhook(scope=envelope.event_type, events=[], ignored=outcome)
    return ParsedWebhook(scope=envelope.event_type, events=outcome)


def peek_site_id(body: bytes) -> str | None:
    """The site the body says it is from, before it is verified: the ingress picks the site's secret
    with it. Nothing else may be trusted before `verify_webhook`."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    site = raw.get("site_id") if isinstance(raw, dict) else None
    return site if isinstance(site, str) and _SITE_ID.fullmatch(site) else None


_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")


def _describe(error: SchemaError) -> str:
    path = error.json_path
    missing = _REQUIRED.match(error.message) if error.validator == "required" else None
    if missing:
        return f"{path}.{missing['name']} is missing"
    if error.validator == "anyOf" and error.context:
        # "is not valid under any of the given schemas" says nothing; say which fields would do.
        alternatives: dict[object, list[str]] = {}
        for sub in error.context:
            if (found := _REQUIRED.match(sub.message)) and not sub.relative_path:
                alternatives.setdefault(sub.relative_schema_path[0], []).append(found["name"])
        if alternatives:
            return f"{path} needs " + ", or ".join(" and ".join(names) for names in alternatives.values())
        return _describe(best_match(error.context))
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{path}: {message}"


def _doc(model: type[_D], envelope: Envelope) -> _D:
    # The schema has vouched for the shape; this is the typed reading (and a second guard).
    return parse_payload(model, envelope.data, "$.data", limit=MAX_PROBLEMS)


def _event(
    envelope: Envelope,
    event_type: EventType,
    *,
    suffix: str = "",
    customer: CustomerRef | None = None,
    extra: dict[str, Any] | None = None,
    **payload: Any,
) -> CommerceEvent:
    return CommerceEvent(
        event_id=envelope.event_id + suffix,
        platform=Platform.SFCC,
        store=envelope.site_id,
        type=event_type,
        occurred_at=envelope.occurred_at,
        customer=customer or CustomerRef(),
        raw_scope=envelope.event_type,
        extra=extra or {},
        **payload,
    )


# ---- orders -------------------------------------------------------------------------------------


def _order(event_type: EventType) -> _Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent] | str:
        order = _doc(OrderDocument, envelope)
        facts = order.facts(methods)
        stage = stage_for(facts)
        if stage is None:
            return f"order {order.order_no} was replaced by another order, whose own events carry on"
        tracked = order.tracked_shipment()
        payload = OrderPayload(
            order_id=order.order_no,
            stage=stage,
            platform_status=platform_status(facts),
            shipment_id=tracked.shipment_id if tracked and stage in _DELIVERY_STAGES else None,
        )
        customer = order.customer_ref()
        events = [_event(envelope, event_type, customer=customer, order=payload)]
        window = order.c_pickupWindowEnd
        if (
            event_type is EventType.ORDER_STATUS_CHANGED
            and facts.pickup
            and window is not None
            and window != order.c_previousPickupWindowEnd
        ):
            events.append(
                _event(
                    envelope,
                    EventType.PICKUP_WINDOW_CHANGED,
                    suffix=":pickup-window",
                    customer=customer,
                    order=payload,
                    extra={"deadline": window.isoformat()},
                )
            )
        if event_type is EventType.ORDER_CREATED and order.c_vip:
            vip = AlertPayload(
                kind=AlertKind.VIP_PURCHASE,
                key=AlertKind.VIP_PURCHASE.value,
                detail=order.customer_info.customer_name,
                order_id=order.order_no,
                amount=order.order_total,
                currency=order.currency,
            )
            events.append(_event(envelope, EventType.OPS_ALERT, suffix=":vip", customer=customer, alert=vip))
        return events

    return handle


def _order_refunded(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    order = _doc(OrderDocument, envelope)
    # No stage: the order journey tells a full refund from a partial one against the order as it
    # reads it then (see workflows/order_stages.py), and a stage here would skip that read.
    payload = OrderPayload(
        order_id=order.order_no,
        platform_status=platform_status(order.facts(methods)),
        refund_id=order.c_refundId,
    )
    return [_event(envelope, EventType.ORDER_REFUNDED, customer=order.customer_ref(), order=payload)]


def _refund_completed(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    order = _doc(OrderDocument, envelope)
    customer = order.customer_ref()
    customer_id = customer.customer_id or customer.email  # a guest is known by their email only
    if not customer_id:
        raise WebhookPayloadError("$.data.customer_info: needs customer_no, customer_id or email")
    account = AccountPayload(
        customer_id=customer_id,
        detail=f"order {order.order_no}",
        amount=order.c_refundAmount,
        currency=order.currency,
    )
    return [
        _event(
            envelope,
            EventType.REFUND_COMPLETED,
            customer=customer,
            account=account,
            extra={"order_id": order.order_no},
        )
    ]


# ---- baskets and cases --------------------------------------------------------------------------


def _basket(event_type: EventType) -> _Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        basket = _doc(BasketDocument, envelope)
        cart = CartPayload(
            cart_id=basket.basket_id,
            order_id=basket.order_no if event_type is EventType.CART_CONVERTED else None,
        )
        return [_event(envelope, event_type, customer=basket.customer_ref(), cart=cart)]

    return handle


def _norm(text: str | None) -> str:
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


CASE_KINDS: Final[dict[str, CaseKind]] = {
    "return": CaseKind.RETURN_REQUEST,
    "returnrequest": CaseKind.RETURN_REQUEST,
    "refund": CaseKind.REFUND,
    "refundrequest": CaseKind.REFUND,
    "deliverydispute": CaseKind.DELIVERY_DISPUTE,
}


def _case(event_type: EventType) -> _Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        case = _doc(CaseRecord, envelope)
        detail = case.Description if event_type is EventType.CASE_OPENED else (case.c_detail or case.Status)
        payload = CasePayload(
            case_id=case.CaseNumber,
            kind=CASE_KINDS.get(_norm(case.Type), CaseKind.CUSTOMER_MESSAGE),
            order_id=case.order_no(),
            subject=case.Subject,
            detail=detail,
        )
        customer = CustomerRef(email=case.SuppliedEmail, phone=case.SuppliedPhone, name=case.SuppliedName)
        extra = {"case_record_id": case.Id} if case.Id else {}
        return [_event(envelope, event_type, customer=customer, case=payload, extra=extra)]

    return handle


# ---- products -----------------------------------------------------------------------------------


def _inventory_changed(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    record = _doc(InventoryRecord, envelope)
    product = ProductPayload(
        sku=record.id,
        product_id=record.id,
        available=int(record.ats),
        previous_available=int(record.c_previousAts) if record.c_previousAts is not None else None,
    )
    return [_event(envelope, EventType.INVENTORY_CHANGED, product=product)]


def _price_changed(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    doc = _doc(ProductDocument, envelope)
    product = ProductPayload(
        sku=doc.id,
        product_id=doc.id,
        name=doc.name,
        price=doc.price,
        previous_price=doc.c_previousPrice,
        currency=doc.currency,
        url=doc.c_url,
    )
    return [_event(envelope, EventType.PRICE_CHANGED, product=product)]


class _ListItem(Doc):
    product_id: str = Field(min_length=1)


class _Shopper(Doc):
    """Who a product event is for: OCAPI's customer_info, plus what it lacks for messaging."""

    customer_info: CustomerInfo = Field(default_factory=CustomerInfo)
    c_phone: Text = None
    c_locale: Text = None
    c_pushToken: Text = None

    def ref(self) -> CustomerRef:
        info = self.customer_info
        return CustomerRef(
            customer_id=customer_key(info.customer_no, info.customer_id),
            email=info.email,
            phone=self.c_phone,
            name=info.customer_name,
            locale=self.c_locale,
        )

    def extra(self) -> dict[str, Any]:
        # The product journey looks for the shopper's push token here.
        return {"push_token": self.c_pushToken} if self.c_pushToken else {}


class _WishlistData(_Shopper):
    product_list_item: _ListItem
    c_watch: WatchKind | None = None
    c_channel: Text = None


class _ReservationData(_Shopper):
    product_id: str = Field(min_length=1)
    basket_id: Text = None
    c_reservedUntil: datetime


def _wishlist_item_added(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    data = _doc(_WishlistData, envelope)
    product_id = data.product_list_item.product_id
    product = ProductPayload(
        sku=product_id, product_id=product_id, watch=data.c_watch, channel=data.c_channel
    )
    return [
        _event(envelope, EventType.PRODUCT_WATCHED, customer=data.ref(), product=product, extra=data.extra())
    ]


def _reservation_expiring(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    data = _doc(_ReservationData, envelope)
    product = ProductPayload(
        sku=data.product_id, product_id=data.product_id, reserved_until=data.c_reservedUntil
    )
    extra = {**data.extra(), **({"basket_id": data.basket_id} if data.basket_id else {})}
    return [
        _event(envelope, EventType.RESERVATION_EXPIRING, customer=data.ref(), product=product, extra=extra)
    ]


# ---- customers and loyalty ----------------------------------------------------------------------


def _profile(envelope: Envelope) -> tuple[CustomerProfile, str]:
    profile = _doc(CustomerProfile, envelope)
    key = profile.key()
    if key is None:  # the schema asks for one of them; an empty string gets here
        raise WebhookPayloadError("$.data: needs customer_no or customer_id")
    return profile, key


def _account(event_type: EventType) -> _Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        profile, key = _profile(envelope)
        account = AccountPayload(customer_id=key, detail=profile.c_change, link=profile.c_link)
        events = [_event(envelope, event_type, customer=profile.customer_ref(), account=account)]
        if event_type is EventType.PROFILE_CHANGED and profile.birthday is not None:
            # The lifecycle journey keeps birthdays (and tiers) for its own messages.
            facts = AccountPayload(
                customer_id=key, birthday=f"{profile.birthday:%m-%d}", tier=profile.c_tier, detail="birthday"
            )
            events.append(
                _event(
                    envelope,
                    EventType.CUSTOMER_UPDATED,
                    suffix=":customer",
                    customer=profile.customer_ref(),
                    account=facts,
                )
            )
        return events

    return handle


def _payment_method_expiring(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    profile, key = _profile(envelope)
    expiring = sorted(
        (
            (expiry, instrument)
            for instrument in profile.payment_instruments
            if (expiry := instrument.expiry())
        ),
        key=lambda pair: pair[0],
    )
    if not expiring:
        raise WebhookPayloadError("$.data.payment_instruments: no instrument has an expiry month and year")
    (year, month), instrument = expiring[0]
    account = AccountPayload(
        customer_id=key, detail=instrument.masked(), expires_at=end_of_month(year, month)
    )
    return [
        _event(envelope, EventType.PAYMENT_METHOD_EXPIRING, customer=profile.customer_ref(), account=account)
    ]


def _loyalty(event_type: EventType) -> _Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        profile, key = _profile(envelope)
        account = AccountPayload(
            customer_id=key,
            detail=profile.c_change,
            points=profile.c_points,
            balance=profile.c_pointsBalance,
            tier=profile.c_tier,
            previous_tier=profile.c_previousTier,
            amount=profile.c_rewardValue,
            currency=profile.c_rewardCurrency,
            expires_at=profile.c_rewardExpiresAt,
            products=profile.c_products,
        )
        return [_event(envelope, event_type, customer=profile.customer_ref(), account=account)]

    return handle


# ---- operations ---------------------------------------------------------------------------------


class _OpsData(Doc):
    message: Text = None
    c_reason: Text = None
    c_gateway: Text = None
    order_no: Text = None
    basket_id: Text = None
    product_id: Text = None
    catalog_id: Text = None
    promotion_id: Text = None
    amount: Decimal | None = None
    currency: Text = None


def _ops(kind: AlertKind, qualifier: str) -> _Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        data = _doc(_OpsData, envelope)
        value = getattr(data, qualifier)
        alert = AlertPayload(
            kind=kind,
            key=f"{kind.value}:{value}" if value else kind.value,
            detail=data.message or data.c_reason,
            order_id=data.order_no,
            sku=data.product_id,
            amount=data.amount,
            currency=data.currency,
        )
        return [_event(envelope, EventType.OPS_ALERT, alert=alert)]

    return handle


_HANDLERS: Final[dict[str, _Handler]] = {
    "order.created": _order(EventType.ORDER_CREATED),
    "order.updated": _order(EventType.ORDER_STATUS_CHANGED),
    "order.refunded": _order_refunded,
    "order.refund_completed": _refund_completed,
    "basket.abandoned": _basket(EventType.CART_ABANDONED),
    "basket.updated": _basket(EventType.CART_UPDATED),
    "basket.converted": _basket(EventType.CART_CONVERTED),
    "case.opened": _case(EventType.CASE_OPENED),
    "case.updated": _case(EventType.CASE_UPDATED),
    "case.closed": _case(EventType.CASE_CLOSED),
    "inventory.changed": _inventory_changed,
    "product.price_changed": _price_changed,
    "wishlist.item_added": _wishlist_item_added,
    "reservation.expiring": _reservation_expiring,
    "customer.registered": _account(EventType.ACCOUNT_REGISTERED),
    "customer.verification": _account(EventType.ACCOUNT_VERIFICATION),
    "customer.password_reset": _account(EventType.PASSWORD_RESET),
    "customer.profile_changed": _account(EventType.PROFILE_CHANGED),
    "customer.security_changed": _account(EventType.SECURITY_CHANGED),
    "customer.address_changed": _account(EventType.ADDRESS_CHANGED),
    "customer.payment_method_expiring": _payment_method_expiring,
    "customer.suggestions": _loyalty(EventType.PRODUCT_SUGGESTIONS),
    "loyalty.points_earned": _loyalty(EventType.POINTS_EARNED),
    "loyalty.reward_expiring": _loyalty(EventType.REWARD_EXPIRING),
    "loyalty.tier_changed": _loyalty(EventType.TIER_CHANGED),
    "checkout.failed": _ops(AlertKind.CHECKOUT_FAILED, "c_reason"),
    "payment.gateway_error": _ops(AlertKind.PAYMENT_GATEWAY_ERROR, "c_gateway"),
    "catalog.import_failed": _ops(AlertKind.CATALOG_UPDATE_FAILED, "catalog_id"),
    "promotion.misconfigured": _ops(AlertKind.PROMOTION_MISCONFIGURED, "promotion_id"),
    "product.unavailable": _ops(AlertKind.PRODUCT_UNAVAILABLE, "product_id"),
}

HANDLED_EVENT_TYPES: Final[frozenset[str]] = frozenset(_HANDLERS)
