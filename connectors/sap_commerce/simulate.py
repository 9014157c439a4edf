"""Build SAP Commerce webhook requests as `webhookservices` sends them: the `Tidings*` integration
objects' item JSON (nested items with their integration keys, `/Date(ms)/` dates), the consumed
destination's query parameters, its Basic credential or bearer token, and the CloudEvents headers.
The demo, the sandbox seeds and the tests use these to play a merchant's SAP Commerce.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from connectors.sap_commerce.auth import basic_authorization
from connectors.sap_commerce.webhooks import ABANDONED_MARK, CE_TYPE_PREFIX
from connectors.wire import aware

WEBHOOK_PATH = "/webhooks/sap-commerce"
CE_SOURCE = "sap.cx.commerce"

_V = TypeVar("_V")


def sap_date(moment: datetime) -> str:
    """SAP's JSON date: `/Date(<epoch milliseconds>)/`."""
    return f"/Date({int(aware(moment).timestamp() * 1000)})/"


def basic_headers(user: str, password: str) -> dict[str, str]:
    return {"Authorization": basic_authorization(user, password)}


def bearer_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cloud_event_headers(io: str, operation: str = "Updated") -> dict[str, str]:
    """The CloudEvents headers recent SAP releases add (`operation`: Created, Updated, Deleted)."""
    return {
        "ce-specversion": "1.0",
        "ce-id": uuid.uuid4().hex,
        "ce-source": CE_SOURCE,
        "ce-type": f"{CE_TYPE_PREFIX}{io}.{operation}.v1",
        "Content-Type": "application/json",
    }


def webhook_params(io: str, *, site: str | None = None, event: str | None = None) -> dict[str, str]:
    """The query parameters of a Tidings consumed destination's URL."""
    return _with_set({"io": io}, {"site": site, "event": event})


def webhook_url(base: str, io: str, *, site: str | None = None, event: str | None = None) -> str:
    return f"{base.rstrip('/')}{WEBHOOK_PATH}?{urlencode(webhook_params(io, site=site, event=event))}"


def _with_set(doc: dict[str, _V], optional: dict[str, _V | None]) -> dict[str, _V]:
    """`doc` with those of `optional` that are set: SAP leaves out the attributes an item has no
    value for."""
    doc.update({key: value for key, value in optional.items() if value is not None})
    return doc


def _enum(code: str) -> dict[str, str]:
    return {"code": code, "integrationKey": code}


def _user(uid: str, customer_id: str | None, name: str | None, email: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"uid": uid, "integrationKey": uid}
    return _with_set(user, {"customerID": customer_id, "name": name, "contactEmail": email})


def _address(name: str, email: str | None, phone: str | None, town: str | None = None) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    address: dict[str, Any] = {
        "firstname": first,
        "lastname": last,
        "integrationKey": f"{email}|{first}|{last}",
    }
    return _with_set(address, {"email": email, "phone1": phone, "town": town})


def entry(
    number: int, product_code: str, name: str, *, quantity: int = 1, base_price: str = "29.95"
) -> dict[str, Any]:
    total = f"{float(base_price) * quantity:.2f}"
    return {
        "entryNumber": number,
        "product": {"code": product_code, "name": name, "integrationKey": product_code},
        "quantity": quantity,
        "basePrice": base_price,
        "totalPrice": total,
        "integrationKey": str(number),
    }


def consignment(
    code: str,
    status: str,
    *,
    tracking_id: str | None = None,
    carrier: str | None = None,
    pickup_store: str | None = None,
    shipped_at: datetime | None = None,
) -> dict[str, Any]:
    """A consignment; `pickup_store` makes it a click-and-collect one (delivery mode `pickup`)."""
    doc: dict[str, Any] = {
        "code": code,
        "status": _enum(status),
        "deliveryMode": _enum("pickup" if pickup_store else "standard-gross"),
        "integrationKey": code,
    }
    if tracking_id is not None:
        doc["trackingID"] = tracking_id
    if carrier is not None:
        doc["carrier"] = carrier
    if pickup_store is not None:
        doc["deliveryPointOfService"] = {
            "name": pickup_store,
            "displayName": pickup_store.replace("-", " ").title(),
            "integrationKey": pickup_store,
        }
    if shipped_at is not None:
        doc["shippingDate"] = sap_date(shipped_at)
    return doc


def order_document(
    site: str,
    code: str,
    *,
    status: str = "PAYMENT_CAPTURED",
    total: str = "59.90",
    currency: str = "USD",
    email: str | None = "ada@example.com",
    phone: str | None = "+14155550101",
    customer_id: str = "7",
    name: str = "Ada Lovelace",
    entries: Sequence[dict[str, Any]] | None = None,
    consignments: Sequence[dict[str, Any]] = (),
    pickup: bool = False,
    language: str = "en",
    placed_at: datetime | None = None,
    modified_at: datetime | None = None,
) -> dict[str, Any]:
    """A `TidingsOrder` item as a webhook posts it."""
    placed = placed_at or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    uid = email or f"customer-{customer_id}@example.invalid"
    doc: dict[str, Any] = {
        "code": code,
        "status": _enum(status),
        "user": _user(uid, customer_id, name, email),
        "paymentAddress": _address(name, email, phone),
        "deliveryAddress": _address(name, email, phone, town="Austin"),
        "totalPrice": total,
        "currency": {"isocode": currency, "integrationKey": currency},
        "entries": list(entries) if entries is not None else [entry(0, "MUG-1", "Mug", quantity=2)],
        "consignments": list(consignments),
        "deliveryMode": _enum("pickup" if pickup else "standard-gross"),
        "date": sap_date(placed),
        "modifiedtime": sap_date(modified_at or placed),
        "site": {"uid": site, "integrationKey": site},
        "store": {"uid": site, "integrationKey": site},
        "language": {"isocode": language, "integrationKey": language},
        "integrationKey": code,
    }
    return doc


def abandoned_mark(moment: datetime) -> str:
    """The `statusInfo` our cron job writes on a cart it finds idle (deploy/sap-commerce/)."""
    stamp = aware(moment).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"{ABANDONED_MARK}{stamp}"  # as the job's Groovy writes it: Instant.toString()


def cart_document(
    site: str,
    code: str,
    *,
    customer_id: str | None = "7",
    email: str | None = "ada@example.com",
    name: str = "Ada Lovelace",
    amount: str = "129.00",
    currency: str = "USD",
    entries: Sequence[dict[str, Any]] | None = None,
    abandoned_at: datetime | None = None,
    modified_at: datetime | None = None,
) -> dict[str, Any]:
    """A `TidingsCart` item; `abandoned_at` marks it as our cron job does (and is its last save)."""
    modified = modified_at or abandoned_at or datetime.now(UTC)
    if customer_id is None:
        user = _user("anonymous", None, "Anonymous", None)
    else:
        user = _user(email or f"customer-{customer_id}@example.invalid", customer_id, name, email)
    doc: dict[str, Any] = {
        "code": code,
        "user": user,
        "totalPrice": amount,
        "currency": {"isocode": currency, "integrationKey": currency},
        "entries": list(entries)
        if entries is not None
        else [entry(0, "TS-1", "Trail Shoes", quantity=1, base_price=amount)],
        "modifiedtime": sap_date(modified),
        "site": {"uid": site, "integrationKey": site},
        "integrationKey": code,
    }
    if abandoned_at is not None:
        doc["statusInfo"] = abandoned_mark(abandoned_at)
    return doc


def removed_cart_document(code: str, site: str | None = None) -> dict[str, Any]:
    """What an `ItemDeletedEvent` webhook carries for a removed cart: its key (and site)."""
    doc: dict[str, Any] = {"code": code, "integrationKey": code}
    if site is not None:
        doc["site"] = {"uid": site, "integrationKey": site}
    return doc


def stock_level_document(
    product_code: str,
    warehouse: str,
    *,
    available: int,
    reserved: int = 0,
    over_selling: int = 0,
    in_stock_status: str = "notSpecified",
) -> dict[str, Any]:
    return {
        "productCode": product_code,
        "warehouse": {"code": warehouse, "integrationKey": warehouse},
        "available": available,
        "reserved": reserved,
        "overSelling": over_selling,
        "inStockStatus": _enum(in_stock_status),
        "integrationKey": f"{product_code}|{warehouse}",
    }


def price_row_document(
    product_code: str,
    price: str,
    *,
    currency: str = "USD",
    user_price_group: str | None = None,
    modified_at: datetime | None = None,
) -> dict[str, Any]:
    """A `TidingsPriceRow` item: the product's price in one currency (for everyone unless a group)."""
    doc: dict[str, Any] = {
        "productId": product_code,
        "price": price,
        "currency": {"isocode": currency, "integrationKey": currency},
        "modifiedtime": sap_date(modified_at or datetime.now(UTC)),
        "integrationKey": f"{product_code}|{currency}",
    }
    if user_price_group is not None:
        doc["ug"] = {"code": user_price_group, "integrationKey": user_price_group}
    return doc


def customer_document(
    uid: str,
    *,
    customer_id: str = "7",
    name: str = "Ada Lovelace",
    email: str | None = "ada@example.com",
    phone: str | None = "+14155550101",
    language: str = "en",
    event: str | None = None,
    detail: str | None = None,
    link: str | None = None,
    expires_at: datetime | None = None,
    birthday: datetime | None = None,
    points: int | None = None,
    tier: str | None = None,
    modified_at: datetime | None = None,
    earned: int | None = None,
) -> dict[str, Any]:
    """A `TidingsCustomer` item; `event`, `detail`, `link`, `expires_at`, `earned` are the virtual
    attributes `tidingsEvent`, `tidingsDetail`, `tidingsLink`, `tidingsExpiresAt`, `tidingsPoints`;
    `points` is the balance (`loyaltyPoints`)."""
    doc: dict[str, Any] = {
        "uid": uid,
        "customerID": customer_id,
        "name": name,
        "sessionLanguage": {"isocode": language, "integrationKey": language},
        "modifiedtime": sap_date(modified_at or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        "integrationKey": uid,
    }
    optional = {
        "contactEmail": email,
        "defaultShipmentAddress": _address(name, email, phone) if phone is not None else None,
        "tidingsEvent": event,
        "tidingsDetail": detail,
        "tidingsLink": link,
        "tidingsExpiresAt": sap_date(expires_at) if expires_at else None,
        "birthday": sap_date(birthday) if birthday else None,
        "loyaltyPoints": points,
        "loyaltyTier": tier,
        "tidingsPoints": earned,
    }
    return _with_set(doc, optional)


def return_request_document(
    site: str,
    code: str,
    order_code: str,
    *,
    rma: str | None = None,
    status: str = "APPROVAL_PENDING",
    order_total: str = "59.90",
    currency: str = "USD",
    refund_amount: str | None = None,
    customer_id: str = "7",
    email: str | None = "ada@example.com",
    notes: str | None = None,
    reason: str = "DamagedInTransit",
    immediate: bool = False,
    quantity: int = 1,
    modified_at: datetime | None = None,
) -> dict[str, Any]:
    """A `TidingsReturnRequest` item (`refundAmount` is its virtual attribute)."""
    return_entry: dict[str, Any] = {
        "orderEntry": {
            "entryNumber": 0,
            "product": {"code": "MUG-1", "name": "Mug", "integrationKey": "MUG-1"},
            "integrationKey": f"{order_code}|0",
        },
        "expectedQuantity": quantity,
        "reason": _enum(reason),
        "action": _enum("IMMEDIATE" if immediate else "HOLD"),
        "integrationKey": f"{code}|0",
    }
    if notes is not None:
        return_entry["notes"] = notes
    doc: dict[str, Any] = {
        "code": code,
        "RMA": rma or code,
        "status": _enum(status),
        "order": {
            "code": order_code,
            "site": {"uid": site, "integrationKey": site},
            "totalPrice": order_total,
            "currency": {"isocode": currency, "integrationKey": currency},
            "user": _user(email or f"customer-{customer_id}@example.invalid", customer_id, None, email),
            "integrationKey": order_code,
        },
        "returnEntries": [return_entry],
        "modifiedtime": sap_date(modified_at or datetime.now(UTC)),
        "integrationKey": code,
    }
    if refund_amount is not None:
        doc["refundAmount"] = refund_amount
    return doc


def review_document(
    code: str, *, uid: str = "ada@example.com", customer_id: str | None = "7", rating: float = 5.0
) -> dict[str, Any]:
    """A `TidingsCustomerReview` item: the customer's review of product `code`."""
    return {
        "product": {"code": code, "name": code, "integrationKey": code},
        "user": _user(uid, customer_id, None, None),
        "rating": rating,
        "integrationKey": f"{code}|{uid}",
    }


def product_document(
    code: str,
    name: str,
    *,
    categories: Sequence[tuple[str, str]] = (),
    replenish_days: int | None = None,
    catalog: str = "tidingsProductCatalog",
    version: str = "Online",
    image_url: str | None = None,
) -> dict[str, Any]:
    """A `TidingsProduct` item; `categories` are (code, name) pairs (its supercategories)."""
    doc: dict[str, Any] = {
        "code": code,
        "name": name,
        "catalogVersion": {
            "version": version,
            "catalog": {"id": catalog, "integrationKey": catalog},
            "integrationKey": f"{version}|{catalog}",
        },
        "supercategories": [
            {"code": c, "name": n, "integrationKey": f"{c}|{version}|{catalog}"} for c, n in categories
        ],
        "integrationKey": f"{code}|{version}|{catalog}",
    }
    if replenish_days is not None:
        doc["replenishDays"] = replenish_days
    if image_url is not None:
        doc["picture"] = {"code": f"{code}-picture", "URL": image_url, "integrationKey": f"{code}-picture"}
    return doc
