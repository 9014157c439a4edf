"""TidingsCart webhooks: abandoned (our cron job's mark), created, updated, and removed (checked out)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from connectors.errors import WebhookPayloadError
from connectors.sap_commerce import dedupe
from connectors.sap_commerce.document_mapping import recipient
from connectors.sap_commerce.item_json import SapUid, SapWire
from connectors.sap_commerce.order_documents import SapCart
from connectors.sap_commerce.webhook_request import WebhookRequest
from connectors.webhook import parse_payload
from connectors.wire import Text, parse_iso
from domain.events import CartPayload, CommerceEvent, CustomerRef, EventType

ABANDONED_MARK = "tidings:abandoned@"
MARK_WINDOW = timedelta(minutes=2)  # the marking save itself; a later save is the shopper back


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


def cart_events(request: WebhookRequest) -> list[CommerceEvent]:
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


def _cart_removed(request: WebhookRequest) -> list[CommerceEvent]:
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
