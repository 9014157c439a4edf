"""Parse SAP Commerce webhook bodies (`webhookservices`) into canonical `CommerceEvent`s.

A webhook body is the JSON of one item, shaped by an integration object; nothing in it says which
IO it is. The consumed destination's URL says: each `Tidings*` destination posts to
`/webhooks/sap-commerce?io=<IntegrationObject>` (deploy/sap-commerce/). The CloudEvents header
`ce-type` (`sap.cx.commerce.<IO>.<Created|Updated|Deleted>…`), sent by recent SAP releases, is
the fallback, and also tells a created or deleted item from a saved one. Query parameters:

| parameter | meaning                                                                              |
|-----------|--------------------------------------------------------------------------------------|
| `io`      | the integration object: TidingsOrder, TidingsCart, TidingsStockLevel, TidingsCustomer, |
|           | TidingsReturnRequest; any other is ignored (HTTP 200, nothing started)               |
| `site`    | the base site, for items that carry none (StockLevel, Customer, a removed Cart)      |
| `event`   | for destinations that post one kind of news: `abandoned` or `removed` (carts), an    |
|           | account event (customers, see `ACCOUNT_EVENTS`)                                      |

Our store id is the **base site** uid (`site.uid`; a return's `order.site.uid`), as OCC's URLs use
it; the payload's own site wins over the `site` parameter.

What each IO becomes (event ids are content fingerprints, see dedupe.py):
- TidingsOrder → `ORDER_STATUS_CHANGED` with the stage of the status and consignments
  (status_map.py), every save alike: a save that changes nothing that counts repeats the event id.
- TidingsCart → `CART_ABANDONED` when the cart carries the abandonment mark our cron job sets
  (`statusInfo` = `tidings:abandoned@<ISO time>`, saved within `MARK_WINDOW` of that time) or the
  destination says `event=abandoned`; `CART_CONVERTED` when the cart was removed (SAP removes a
  cart when it is checked out: `ItemDeletedEvent`, or `event=removed`); else `CART_UPDATED`
  (`CART_CREATED` for a created cart).
- TidingsStockLevel → `INVENTORY_CHANGED`: available = available − reserved for that warehouse
  (`extra.warehouse`); the previous figure is not sent.
- TidingsCustomer → the account event named by the payload's `tidingsEvent` (a virtual attribute),
  else the destination's `event`, else `registered` for a created customer, else
  `CUSTOMER_UPDATED` (profile facts: birthday, loyalty points and tier).
- TidingsReturnRequest → the service case `return-…`: `CASE_OPENED` while the return is open,
  `CASE_UPDATED` / `CASE_CLOSED` by its status; once refunded, `CASE_UPDATED` refund_issued, the
  order's refund (`ORDER_STATUS_CHANGED` → refunded when it covers the order total, else
  `ORDER_REFUNDED` → partially refunded) and `REFUND_COMPLETED` for the customer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import Field

from connectors.errors import WebhookPayloadError
from connectors.sap_commerce import dedupe
from connectors.sap_commerce.documents import (
    SapCart,
    SapCustomer,
    SapOrder,
    SapReturnRequest,
    SapStockLevel,
    SapUid,
    SapWire,
    Text,
    available_to_sell,
    customer_id_of,
    customer_ref,
    is_sent,
    params_get,
    plain,
    recipient,
    stage_of_order,
)
from connectors.sap_commerce.status_map import (
    OPEN_RETURN_STATUSES,
    REFUNDED_RETURN_STATUSES,
    return_status_case,
)
from connectors.webhook import ParsedWebhook, json_object_body, parse_payload
from connectors.wire import parse_iso
from domain.events import (
    AccountPayload,
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
)

IO_PARAM = "io"
SITE_PARAM = "site"
EVENT_PARAM = "event"
CE_TYPE_HEADER = "ce-type"
CE_TYPE_PREFIX = "sap.cx.commerce."

ORDER_IO = "TidingsOrder"
CART_IO = "TidingsCart"
STOCK_IO = "TidingsStockLevel"
CUSTOMER_IO = "TidingsCustomer"
RETURN_IO = "TidingsReturnRequest"

ABANDONED_MARK = "tidings:abandoned@"
MARK_WINDOW = timedelta(minutes=2)  # the marking save itself; a later save is the shopper back
IMMEDIATE_REFUND = "IMMEDIATE"  # ReturnAction: refund without the goods coming back

# `tidingsEvent` / `event` values for customers, and what they become.
ACCOUNT_EVENTS: Final[dict[str, EventType]] = {
    "registered": EventType.ACCOUNT_REGISTERED,
    "verification": EventType.ACCOUNT_VERIFICATION,
    "password_reset": EventType.PASSWORD_RESET,
    "profile_changed": EventType.PROFILE_CHANGED,
    "security_changed": EventType.SECURITY_CHANGED,
    "address_changed": EventType.ADDRESS_CHANGED,
    "payment_method_expiring": EventType.PAYMENT_METHOD_EXPIRING,
    "points_earned": EventType.POINTS_EARNED,
    "reward_expiring": EventType.REWARD_EXPIRING,
    "tier_changed": EventType.TIER_CHANGED,
    "updated": EventType.CUSTOMER_UPDATED,
}

# Site ids go into workflow ids and API paths.
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class _Request:
    io: str
    raw: dict[str, Any]
    params: Mapping[str, str]
    operation: str | None  # "created", "updated", "deleted" (ce-type), None when not told
    event: str | None  # the destination's `event` parameter
    now: datetime

    def site(self, own: SapUid | None, where: str) -> str:
        site = own.uid.strip() if own is not None else params_get(self.params, SITE_PARAM)
        if site is None:
            raise WebhookPayloadError(f"{where} is missing and the destination URL has no site parameter")
        if not _SITE.fullmatch(site):
            raise WebhookPayloadError(f"{where}: {site!r} is not a base site uid")
        return site

    def event_of(
        self, event_id: str, store: str, event_type: EventType, customer: CustomerRef, **parts: Any
    ) -> CommerceEvent:
        scope = self.io if self.event is None else f"{self.io}:{self.event}"
        occurred = parts.pop("occurred_at", None) or self.now
        return CommerceEvent(
            event_id=event_id,
            platform=Platform.SAP_COMMERCE,
            store=store,
            type=event_type,
            occurred_at=occurred,
            customer=customer,
            raw_scope=scope,
            **parts,
        )


_Handler = Callable[[_Request], list[CommerceEvent]]


def parse_webhook(
    body: bytes,
    params: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> ParsedWebhook:
    """Parse one webhook body; `params` are the request's query parameters and `headers` (optional)
    its headers, for `ce-type`. Raises `WebhookPayloadError` naming the field when malformed."""
    ce_io, operation = _cloud_event_type(headers or {})
    io = params_get(params, IO_PARAM) or ce_io
    if io is None:
        raise WebhookPayloadError(
            "no integration object: the destination URL must end with ?io=<IntegrationObject> "
            f"(or the request carry a {CE_TYPE_HEADER} header)"
        )
    handler = _HANDLERS.get(io)
    if handler is None:
        return ParsedWebhook(scope=io, events=[], ignored=f"integration object {io} is not handled")
    event = params_get(params, EVENT_PARAM)
    request = _Request(
        io=io,
        raw=plain(json_object_body(body)),  # OData-shaped bodies (`results`, `__metadata`) read alike
        params=params,
        operation=operation,
        event=event.lower() if event else None,
        now=now or datetime.now(UTC),
    )
    events = handler(request)
    scope = io if request.event is None else f"{io}:{request.event}"
    if not events:
        return ParsedWebhook(scope=scope, events=[], ignored=f"{scope}: nothing to tell")
    return ParsedWebhook(scope=scope, events=events)


def peek_site(body: bytes, params: Mapping[str, str]) -> str | None:
    """The base site a webhook is about, without validating it (to pick per-site credentials
    before `verify_request`); None when neither the body nor the URL says."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raw = None
    if isinstance(raw, dict):
        for path in (("site", "uid"), ("order", "site", "uid")):
            value: Any = raw
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str) and value.strip():
                return value.strip()
    return params_get(params, SITE_PARAM)


def _cloud_event_type(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """`sap.cx.commerce.TidingsOrder.Created.v1` → ("TidingsOrder", "created")."""
    value = next((v for k, v in headers.items() if k.lower() == CE_TYPE_HEADER), "").strip()
    if not value.startswith(CE_TYPE_PREFIX):
        return None, None
    parts = value[len(CE_TYPE_PREFIX) :].split(".")
    io = parts[0] or None
    operation = parts[1].lower() if len(parts) > 1 and parts[1] else None
    return io, operation


# ---- orders -----------------------------------------------------------------------------------------


def _order(request: _Request) -> list[CommerceEvent]:
    order = parse_payload(SapOrder, request.raw)
    site = request.site(order.site, "site.uid")
    stage = stage_of_order(order)
    sent = [c for c in order.consignments if is_sent(c)]
    status = order.status.code
    if order.consignments:
        status += " · " + ", ".join(f"{c.code} {c.status.code}" for c in order.consignments)
    payload = OrderPayload(
        order_id=order.code,
        stage=stage,
        platform_status=status,
        shipment_id=sent[-1].code if sent else None,
    )
    customer = customer_ref(order.user, order.payment_address or order.delivery_address, order.language)
    extra: dict[str, Any] = {"consignments": {c.code: c.status.code for c in order.consignments}}
    if order.integration_key:
        extra["integration_key"] = order.integration_key
    return [
        request.event_of(
            dedupe.order_event_id(site, order),
            site,
            EventType.ORDER_STATUS_CHANGED,
            customer,
            order=payload,
            extra=extra,
            occurred_at=order.modifiedtime,
        )
    ]


# ---- carts -----------------------------------------------------------------------------------------


class _CartKey(SapWire):
    """What a removed cart's webhook must carry: its code (or the integration key, which for
    TidingsCart is the code) and, when the URL has no site, its site."""

    code: Text = None
    integration_key: Text = Field(default=None, alias="integrationKey")
    site: SapUid | None = None


def abandoned_at(cart: SapCart) -> datetime | None:
    """When our cron job marked the cart abandoned (`statusInfo`), if it did."""
    info = cart.status_info or ""
    if not info.startswith(ABANDONED_MARK):
        return None
    marked = parse_iso(info[len(ABANDONED_MARK) :])
    if marked is None:
        raise WebhookPayloadError(f"statusInfo: {info!r} is not a {ABANDONED_MARK}<ISO time> mark")
    return marked


def _cart(request: _Request) -> list[CommerceEvent]:
    if request.operation == "deleted" or request.event in ("removed", "deleted"):
        return _cart_removed(request)
    cart = parse_payload(SapCart, request.raw)
    site = request.site(cart.site, "site.uid")
    marked = abandoned_at(cart)
    marking_save = marked is not None and (
        cart.modifiedtime is None or cart.modifiedtime <= marked + MARK_WINDOW
    )
    if request.event == "abandoned" or marking_save:
        kind, event_type = "abandoned", EventType.CART_ABANDONED
    elif request.operation == "created":
        kind, event_type = "created", EventType.CART_CREATED
    else:
        kind, event_type = "updated", EventType.CART_UPDATED
    person = recipient(cart.user)
    customer = CustomerRef(customer_id=person.customer_id, email=person.email, name=person.name)
    return [
        request.event_of(
            dedupe.cart_event_id(site, cart, kind),
            site,
            event_type,
            customer,
            cart=CartPayload(cart_id=cart.code),
            occurred_at=marked if kind == "abandoned" else cart.modifiedtime,
        )
    ]


def _cart_removed(request: _Request) -> list[CommerceEvent]:
    # SAP removes a cart when it is checked out; the order does not name the cart it came from, so
    # the conversion is told without the order id (a journey ends on the conversion itself).
    key = parse_payload(_CartKey, request.raw)
    code = key.code or key.integration_key
    if code is None:
        raise WebhookPayloadError("code is missing (and so is integrationKey)")
    site = request.site(key.site, "site.uid")
    return [
        request.event_of(
            dedupe.cart_removed_event_id(site, code),
            site,
            EventType.CART_CONVERTED,
            CustomerRef(),
            cart=CartPayload(cart_id=code),
        )
    ]


# ---- stock ----------------------------------------------------------------------------------------


def _stock(request: _Request) -> list[CommerceEvent]:
    stock = parse_payload(SapStockLevel, request.raw)
    site = request.site(None, "site")
    product = ProductPayload(
        sku=stock.product_code,
        product_id=stock.product_code,
        available=available_to_sell(stock),
        previous_available=None,  # SAP sends the level as it is now, not what it was
    )
    extra = {
        "warehouse": stock.warehouse.code,
        "stock_available": stock.available,
        "stock_reserved": stock.reserved,
        "in_stock_status": stock.in_stock_status.code if stock.in_stock_status else None,
    }
    return [
        request.event_of(
            dedupe.stock_event_id(site, stock),
            site,
            EventType.INVENTORY_CHANGED,
            CustomerRef(),
            product=product,
            extra=extra,
        )
    ]


# ---- customers --------------------------------------------------------------------------------------


def _customer(request: _Request) -> list[CommerceEvent]:
    customer = parse_payload(SapCustomer, request.raw)
    site = request.site(customer.site, "site.uid")
    named = customer.tidings_event or request.event
    if named is None:
        named = "registered" if request.operation == "created" else "updated"
    event = named.strip().lower().replace("-", "_")
    event_type = ACCOUNT_EVENTS.get(event)
    if event_type is None:
        raise WebhookPayloadError(
            f"tidingsEvent: unknown account event {named!r} (one of {', '.join(sorted(ACCOUNT_EVENTS))})"
        )
    customer_id = customer_id_of(customer)
    if customer_id is None:
        return []  # the anonymous user has no account to tell about
    address = customer.default_shipment_address
    language = customer.session_language
    email = customer.contact_email or (customer.uid if "@" in customer.uid else None)
    account = AccountPayload(
        customer_id=customer_id,
        detail=customer.tidings_detail,
        link=customer.tidings_link,
        expires_at=customer.tidings_expires_at,
        balance=customer.loyalty_points,
        tier=customer.loyalty_tier,
        birthday=customer.birthday.strftime("%m-%d") if customer.birthday else None,
    )
    ref = CustomerRef(
        customer_id=customer_id,
        email=email,
        phone=address.phone1 if address else None,
        name=customer.name,
        locale=language.isocode if language else None,
    )
    return [
        request.event_of(
            dedupe.customer_event_id(site, customer, event),
            site,
            event_type,
            ref,
            account=account,
            occurred_at=customer.modifiedtime,
        )
    ]


# ---- return requests ---------------------------------------------------------------------------------


def return_case_id(request: SapReturnRequest) -> str:
    """The case a return request is: its RMA (what the customer sees), else its code."""
    return request.rma or request.code


def _return(request: _Request) -> list[CommerceEvent]:
    returned = parse_payload(SapReturnRequest, request.raw)
    site = request.site(returned.order.site, "order.site.uid")
    status = returned.status.code
    event_type, detail = return_status_case(status)
    order = returned.order
    customer = customer_ref(order.user)
    entries = returned.return_entries
    immediate = bool(entries) and all(
        e.action is not None and e.action.code == IMMEDIATE_REFUND for e in entries
    )
    case_id = return_case_id(returned)
    case = CasePayload(
        case_id=case_id,
        kind=CaseKind.REFUND if immediate else CaseKind.RETURN_REQUEST,
        order_id=order.code,
        subject=f"Return {case_id} for order {order.code}",
    )
    refunded = status in REFUNDED_RETURN_STATUSES and returned.refund_amount != 0
    occurred = returned.modifiedtime

    def event(aspect: str, kind: EventType, **parts: Any) -> CommerceEvent:
        return request.event_of(
            dedupe.return_event_id(site, returned, aspect),
            site,
            kind,
            customer,
            occurred_at=occurred,
            **parts,
        )

    events = []
    if status in OPEN_RETURN_STATUSES:
        said = "; ".join(e.notes for e in entries if e.notes) or ", ".join(
            e.reason.code for e in entries if e.reason is not None
        )
        events.append(
            event("opened", EventType.CASE_OPENED, case=case.model_copy(update={"detail": said or detail}))
        )
    if event_type is not EventType.CASE_OPENED and not (refunded and detail == "refund_issued"):
        events.append(event("status", event_type, case=case.model_copy(update={"detail": detail})))
    if refunded:
        events.extend(_refund_events(returned, case, event))
    return events


def _refund_events(
    returned: SapReturnRequest, case: CasePayload, event: Callable[..., CommerceEvent]
) -> list[CommerceEvent]:
    order = returned.order
    amount = returned.refund_amount
    covers_total = amount is not None and order.total_price is not None and amount >= order.total_price
    events = [
        event(
            "refund-case", EventType.CASE_UPDATED, case=case.model_copy(update={"detail": "refund_issued"})
        ),
        # A full refund closes the order (its stage says so); a partial one is news on its own.
        event(
            "refund-order",
            EventType.ORDER_STATUS_CHANGED if covers_total else EventType.ORDER_REFUNDED,
            order=OrderPayload(
                order_id=order.code,
                stage=OrderStage.REFUNDED if covers_total else OrderStage.PARTIALLY_REFUNDED,
                platform_status=f"ReturnRequest {case.case_id} {returned.status.code}",
                refund_id=case.case_id,
            ),
        ),
    ]
    customer_id = customer_id_of(order.user)
    if customer_id is not None:
        events.append(
            event(
                "refund-account",
                EventType.REFUND_COMPLETED,
                account=AccountPayload(
                    customer_id=customer_id,
                    detail=f"return {case.case_id} for order {order.code}",
                    amount=amount,
                    currency=order.currency.isocode if order.currency else None,
                ),
            )
        )
    return events


_HANDLERS: dict[str, _Handler] = {
    ORDER_IO: _order,
    CART_IO: _cart,
    STOCK_IO: _stock,
    CUSTOMER_IO: _customer,
    RETURN_IO: _return,
}
