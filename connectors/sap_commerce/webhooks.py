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
- TidingsCustomerReview → `REVIEW_SUBMITTED` naming the customer and the product (review_webhooks.py).

Carts are handled in cart_webhooks.py, return requests in return_webhooks.py, and the request they
all read in webhook_request.py; this module dispatches by IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from connectors import safe_json
from connectors.errors import WebhookPayloadError
from connectors.sap_commerce import dedupe
from connectors.sap_commerce.cart_webhooks import ABANDONED_MARK as ABANDONED_MARK
from connectors.sap_commerce.cart_webhooks import MARK_WINDOW as MARK_WINDOW
from connectors.sap_commerce.cart_webhooks import abandoned_at as abandoned_at
from connectors.sap_commerce.cart_webhooks import cart_events
from connectors.sap_commerce.catalog_documents import SapPriceRow, SapStockLevel
from connectors.sap_commerce.customer_documents import SapCustomer
from connectors.sap_commerce.document_mapping import (
    available_to_sell,
    customer_id_of,
    customer_ref,
    is_sent,
    stage_of_order,
)
from connectors.sap_commerce.item_json import params_get, plain
from connectors.sap_commerce.order_documents import SapOrder
from connectors.sap_commerce.return_webhooks import IMMEDIATE_REFUND as IMMEDIATE_REFUND
from connectors.sap_commerce.return_webhooks import return_case_id as return_case_id
from connectors.sap_commerce.return_webhooks import return_events
from connectors.sap_commerce.review_webhooks import review_events
from connectors.sap_commerce.status_map import ORDER_STATUS_ALERTS
from connectors.sap_commerce.webhook_request import SITE_PARAM, Handler, WebhookRequest
from connectors.webhook import ParsedWebhook, json_object_body, parse_payload
from domain.events import (
    AccountPayload,
    AlertPayload,
    CommerceEvent,
    CustomerRef,
    EventType,
    OrderPayload,
    ProductPayload,
)

IO_PARAM = "io"
EVENT_PARAM = "event"
CE_TYPE_HEADER = "ce-type"
CE_TYPE_PREFIX = "sap.cx.commerce."

ORDER_IO = "TidingsOrder"
CART_IO = "TidingsCart"
STOCK_IO = "TidingsStockLevel"
CUSTOMER_IO = "TidingsCustomer"
PRICE_IO = "TidingsPriceRow"
RETURN_IO = "TidingsReturnRequest"
REVIEW_IO = "TidingsCustomerReview"

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
    request = WebhookRequest(
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
    raw = safe_json.peek(body)  # bounded: a hostile body must still get its 401
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


def _order(request: WebhookRequest) -> list[CommerceEvent]:
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
    events = [
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
    kind = ORDER_STATUS_ALERTS.get(order.status.code)
    if kind is not None:  # the team hears of it too: once per order and status
        alert = AlertPayload(
            kind=kind,
            key=kind.value,
            order_id=order.code,
            detail=f"order {order.code}: {order.status.code}",
            amount=order.total_price,
            currency=order.currency.isocode if order.currency else None,
        )
        alert_id = f"sap:{site}:{order.code}:{order.status.code}:alert"
        events.append(
            request.event_of(
                alert_id, site, EventType.OPS_ALERT, customer, alert=alert, occurred_at=order.modifiedtime
            )
        )
    return events


# ---- stock ----------------------------------------------------------------------------------------


def _stock(request: WebhookRequest) -> list[CommerceEvent]:
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


# ---- prices ---------------------------------------------------------------------------------------


def _price(request: WebhookRequest) -> list[CommerceEvent]:
    row = parse_payload(SapPriceRow, request.raw)
    site = request.site(None, "site")
    if not row.is_public:
        return []  # a user price group's or a bulk price: not what price watchers pay
    product = ProductPayload(
        sku=row.product_id, product_id=row.product_id, price=row.price, currency=row.currency.isocode
    )
    return [
        request.event_of(
            dedupe.price_event_id(site, row),
            site,
            EventType.PRICE_CHANGED,
            CustomerRef(),
            product=product,
            occurred_at=row.modifiedtime,
        )
    ]


# ---- customers --------------------------------------------------------------------------------------


def _customer(request: WebhookRequest) -> list[CommerceEvent]:
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
        points=customer.tidings_points,
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


_HANDLERS: dict[str, Handler] = {
    ORDER_IO: _order,
    CART_IO: cart_events,
    STOCK_IO: _stock,
    PRICE_IO: _price,
    CUSTOMER_IO: _customer,
    RETURN_IO: return_events,
    REVIEW_IO: review_events,
}
