"""Content fingerprints: the `event_id` of every event parsed from an SAP webhook.

SAP saves the same order many times (every process step, every recalculation, every back-office
edit) and `webhookservices` posts the item as it is *when the webhook is sent*, with no event id
of its own that survives a re-save. So an event's id is a hash of the fields that matter for it:
two saves with the same meaningful content give the same id, which the journeys already dedupe on;
a change in one of these fields gives a new one. Everything else (prices recalculated, addresses
edited, `modifiedtime`) is not news.

| event                          | fields that count                                                     |
|--------------------------------|-----------------------------------------------------------------------|
| order stage                    | site, order code, order status, per consignment (sorted by code):     |
|                                | code, status, trackingID, carrier                                     |
| cart abandoned                 | site, cart code, the abandonment mark (`statusInfo`)                  |
| cart updated / created         | site, cart code, entries (product code, quantity), total, currency    |
| cart checked out (removed)     | site, cart code                                                       |
| stock level                    | site, product code, warehouse, available, reserved, overSelling,      |
|                                | inStockStatus                                                         |
| price row                      | site, product code, price, currency, modifiedtime                     |
| account registered             | site, uid                                                             |
| other account / customer facts | site, uid, event, name, contactEmail, phone, language, birthday,      |
|                                | loyalty points and tier, tidingsDetail, tidingsLink, tidingsExpiresAt |
| return: case opened            | site, return code                                                     |
| return: status                 | site, return code, status                                             |
| return: refund (each of the    | site, return code, refundAmount (the refund, not the status: SAP may  |
| case, order and account event) | report it at PAYMENT_REVERSED, TAX_REVERSED or COMPLETED)             |

Content that comes back to an earlier state (A → B → A) repeats A's id, so the second A is taken
for a redelivery: the journeys would not announce it again anyway (stages only move forward), but
it is not in their timelines. SAP's processes move statuses forward (a cleared fraud check is
FRAUD_CHECKED, not the status before the check), so this is rare.

The kind of event is part of the hash (and the id's readable prefix), so the several events one
save can produce (a return's case update, order refund and account message) never share an id.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from connectors.sap_commerce.documents import (
    SapCart,
    SapCustomer,
    SapOrder,
    SapPriceRow,
    SapReturnRequest,
    SapStockLevel,
)

DIGEST_CHARS = 32  # 128 bits: collisions are not a concern, ids stay short in workflow ids


def fingerprint(kind: str, *fields: object) -> str:
    """`{kind}-{hash}` over the fields, in a canonical JSON form (Decimals by value: 59.9 == 59.90)."""
    canonical = json.dumps(
        [kind, *fields], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical
    )
    return f"{kind}-{hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_CHARS]}"


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)  # datetimes


def order_event_id(site: str, order: SapOrder) -> str:
    consignments = sorted((c.code, c.status.code, c.tracking_id, c.carrier) for c in order.consignments)
    return fingerprint("order", site, order.code, order.status.code, consignments)


def cart_event_id(site: str, cart: SapCart, kind: str) -> str:
    """`kind`: "abandoned", "updated", "created" or "removed"."""
    if kind == "abandoned":
        return fingerprint("cart-abandoned", site, cart.code, cart.status_info)
    if kind == "removed":
        return fingerprint("cart-removed", site, cart.code)
    entries = sorted((e.product.code, e.quantity) for e in cart.entries)
    currency = cart.currency.isocode if cart.currency else None
    return fingerprint(f"cart-{kind}", site, cart.code, entries, cart.total_price, currency)


def cart_removed_event_id(site: str, cart_code: str) -> str:
    return fingerprint("cart-removed", site, cart_code)


def price_event_id(site: str, row: SapPriceRow) -> str:
    # The save time counts: a price back at an earlier figure later is news again.
    return fingerprint("price", site, row.product_id, row.price, row.currency.isocode, row.modifiedtime)


def stock_event_id(site: str, stock: SapStockLevel) -> str:
    status = stock.in_stock_status.code if stock.in_stock_status else None
    return fingerprint(
        "stock",
        site,
        stock.product_code,
        stock.warehouse.code,
        stock.available,
        stock.reserved,
        stock.over_selling,
        status,
    )


def customer_event_id(site: str, customer: SapCustomer, event: str) -> str:
    if event == "registered":
        return fingerprint("account-registered", site, customer.uid)
    address = customer.default_shipment_address
    return fingerprint(
        f"account-{event}",
        site,
        customer.uid,
        customer.name,
        customer.contact_email,
        address.phone1 if address else None,
        customer.session_language.isocode if customer.session_language else None,
        customer.birthday,
        customer.loyalty_points,
        customer.loyalty_tier,
        customer.tidings_detail,
        customer.tidings_link,
        customer.tidings_expires_at,
    )


def return_event_id(site: str, request: SapReturnRequest, aspect: str) -> str:
    """`aspect`: "opened", "status", or "refund-case" / "refund-order" / "refund-account"."""
    if aspect == "opened":
        return fingerprint("return-opened", site, request.code)
    if aspect == "status":
        return fingerprint("return-status", site, request.code, request.status.code)
    return fingerprint(f"return-{aspect}", site, request.code, request.refund_amount)
