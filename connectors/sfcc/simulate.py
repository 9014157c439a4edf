"""Build SFCC webhook requests as the deploy/sfcc cartridge sends them: OCAPI documents inside our
signed envelope, and Order Management platform events as a relay forwards them. The demo, the
benchmark and the tests use these to play a B2C Commerce site.

`order_at_stage` changes an order document the way a merchant's back office (or OMS, or the carrier
integration) would so that `status_map` reads it as the stage asked for.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.sfcc.documents import OrderDocument
from connectors.sfcc.signature import sign_webhook
from domain.events import CaseKind, OrderStage

PICKUP_METHOD_ID = "BOPIS-store-pickup"
GROUND_METHOD_ID = "001-ground"
PICKUP_STORE_ID = "store-0042"

CASE_TYPES: dict[CaseKind, str] = {
    CaseKind.RETURN_REQUEST: "Return",
    CaseKind.REFUND: "Refund",
    CaseKind.DELIVERY_DISPUTE: "Delivery Dispute",
    CaseKind.CUSTOMER_MESSAGE: "Question",
}


def iso(moment: datetime) -> str:
    """OCAPI's date-time: UTC to the millisecond, "Z" for the zone."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def envelope(
    event_type: str,
    site_id: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The envelope the cartridge posts (a fresh event id unless one is given)."""
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "site_id": site_id,
        "occurred_at": iso(occurred_at or datetime.now(UTC)),
        "data": data,
    }


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=_json_default).encode()


def signed_headers(body: bytes, secret: str, timestamp: datetime | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", **sign_webhook(body, secret=secret, timestamp=timestamp)}


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def order_document(
    order_no: str,
    *,
    total: str = "59.90",
    currency: str = "USD",
    email: str | None = "ada@example.com",
    phone: str | None = "+14155550101",
    customer_no: str | None = "7",
    pickup: bool = False,
    product_id: str = "MUG-1",
    product_name: str = "Mug",
    quantity: int = 2,
) -> dict[str, Any]:
    """A new, paid, not yet confirmed order (the storefront's checkout result), as OCAPI shows it."""
    amount = Decimal(total)
    unit = (amount / quantity).quantize(Decimal("0.01"))
    customer_id = f"ab{uuid.uuid5(uuid.NAMESPACE_OID, customer_no or order_no).hex[:22]}"
    shipment: dict[str, Any] = {
        "shipment_id": "me",
        "shipment_no": f"{order_no}-1",
        "shipping_method": (
            {"id": PICKUP_METHOD_ID, "name": "Pick up in store"}
            if pickup
            else {"id": GROUND_METHOD_ID, "name": "Ground"}
        ),
        "shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "city": "San Francisco"},
        "tracking_number": None,
    }
    if pickup:
        shipment["c_fromStoreId"] = PICKUP_STORE_ID
    billing: dict[str, Any] = {"first_name": "Ada", "last_name": "Lovelace", "country_code": "US"}
    if phone:
        billing["phone"] = phone
    return {
        "_type": "order",
        "order_no": order_no,
        "status": "new",
        "shipping_status": "not_shipped",
        "payment_status": "paid",
        "confirmation_status": "not_confirmed",
        "export_status": "not_exported",
        "customer_info": _customer_info(customer_id, customer_no, email),
        "billing_address": billing,
        "product_items": [
            {
                "item_id": f"{order_no}-pli-1",
                "product_id": product_id,
                "product_name": product_name,
                "quantity": quantity,
                "base_price": float(unit),
                "price": float(amount),
            }
        ],
        "shipments": [shipment],
        "product_total": float(amount),
        "order_total": float(amount),
        "currency": currency,
        "creation_date": now_iso(),
        "c_isPickup": pickup,
        "c_pickupReady": False,
        "c_pickedUp": False,
    }


def is_pickup_document(order: dict[str, Any]) -> bool:
    """Whether the status table treats this order document as a pickup order."""
    return OrderDocument.model_validate(order).pickup()


# The stages `order_at_stage` can put an order at (those tests/platforms/base.py PlatformShop.move names).
SUPPORTED_STAGES = frozenset(
    {
        OrderStage.PAYMENT_CONFIRMED,
        OrderStage.FRAUD_REVIEW,
        OrderStage.PAYMENT_FAILED,
        OrderStage.AWAITING_SHIPMENT,
        OrderStage.AWAITING_PICKUP,
        OrderStage.PARTIALLY_SHIPPED,
        OrderStage.SHIPPED,
        OrderStage.OUT_FOR_DELIVERY,
        OrderStage.DELIVERED,
        OrderStage.CANCELLED,
        OrderStage.REFUNDED,
        OrderStage.PARTIALLY_REFUNDED,
        OrderStage.DELIVERY_FAILED,
        OrderStage.RETURNED_TO_SENDER,
        OrderStage.ADDRESS_PROBLEM,
    }
)

# What the carrier integration writes into `c_deliveryStatus` for each carrier exception.
CARRIER_EXCEPTIONS: dict[OrderStage, str] = {
    OrderStage.DELIVERY_FAILED: "failed_attempt",
    OrderStage.RETURNED_TO_SENDER: "returned",
    OrderStage.ADDRESS_PROBLEM: "address_invalid",
}


def order_at_stage(order: dict[str, Any], stage: OrderStage) -> dict[str, Any]:
    """A copy of `order` changed as the back office would so that it reads as `stage`.

    Each stage sets every attribute the status table looks at, so a stage reached after another (a
    fraud review cleared, then shipped) reads right. SHIPPED adds tracking to the first shipment;
    AWAITING_PICKUP makes the order a pickup order if it was not one; DELIVERED on a pickup order
    means collected."""
    if stage not in SUPPORTED_STAGES:
        raise ValueError(f"an SFCC order cannot be moved to {stage} by this simulator")
    doc = copy.deepcopy(order)
    order_no = str(doc["order_no"])
    doc.update(
        {
            "status": "open",
            "payment_status": "paid",
            "confirmation_status": "confirmed",
            "shipping_status": "not_shipped",
            "c_fraudStatus": "accepted",
            "c_refundStatus": "none",
            "c_deliveryStatus": None,
            "c_pickupReady": False,
            "c_pickedUp": False,
        }
    )
    pickup = is_pickup_document(doc)
    if stage is OrderStage.AWAITING_SHIPMENT and pickup:
        raise ValueError("a pickup order never waits for a carrier: see status_map's pickup rows")
    if stage is OrderStage.PAYMENT_CONFIRMED:
        doc["status"], doc["confirmation_status"] = "new", "not_confirmed"
    elif stage is OrderStage.FRAUD_REVIEW:
        doc["confirmation_status"], doc["c_fraudStatus"] = "not_confirmed", "review"
    elif stage is OrderStage.PAYMENT_FAILED:
        doc["status"], doc["payment_status"], doc["confirmation_status"] = (
            "failed",
            "not_paid",
            "not_confirmed",
        )
    elif stage is OrderStage.AWAITING_PICKUP:
        if not pickup:
            doc["c_isPickup"] = True
        doc["c_pickupReady"] = True
    elif stage in (OrderStage.PARTIALLY_SHIPPED, OrderStage.SHIPPED, OrderStage.OUT_FOR_DELIVERY):
        doc["shipping_status"] = "part_shipped" if stage is OrderStage.PARTIALLY_SHIPPED else "shipped"
        _track(doc, order_no)
        if stage is OrderStage.OUT_FOR_DELIVERY:
            doc["c_deliveryStatus"] = "out_for_delivery"
    elif stage is OrderStage.DELIVERED:
        doc["status"], doc["shipping_status"] = "completed", "shipped"
        if pickup:
            doc["c_pickupReady"], doc["c_pickedUp"] = True, True
        else:
            _track(doc, order_no)
            doc["c_deliveryStatus"] = "delivered"
    elif stage in CARRIER_EXCEPTIONS:
        doc["shipping_status"] = "shipped"
        _track(doc, order_no)
        doc["c_deliveryStatus"] = CARRIER_EXCEPTIONS[stage]
    elif stage is OrderStage.CANCELLED:
        doc["status"] = "cancelled"
    elif stage in (OrderStage.REFUNDED, OrderStage.PARTIALLY_REFUNDED):
        doc["c_refundStatus"] = "full" if stage is OrderStage.REFUNDED else "partial"
        doc["c_refundId"] = f"RF-{order_no}-{uuid.uuid4().hex[:6]}"
    return doc


def _customer_info(customer_id: str, customer_no: str | None, email: str | None) -> dict[str, Any]:
    """OCAPI's `customer_info`: `customer_id` always (guests too), `customer_no` for a registered
    customer, the email when known."""
    info: dict[str, Any] = {"customer_id": customer_id, "customer_name": "Ada Lovelace"}
    if customer_no:
        info["customer_no"] = customer_no
    if email:
        info["email"] = email
    return info


def _track(doc: dict[str, Any], order_no: str) -> None:
    shipments = doc.setdefault("shipments", [])
    if not shipments:
        shipments.append({"shipment_id": "me", "shipping_method": {"id": GROUND_METHOD_ID, "name": "Ground"}})
    first = shipments[0]
    if not first.get("tracking_number"):
        first["tracking_number"] = f"1Z999AA1{order_no}"
        first["c_carrier"] = "UPS"
        first["c_trackingUrl"] = f"https://www.ups.com/track?tracknum=1Z999AA1{order_no}"


def basket_document(
    basket_id: str,
    *,
    amount: str = "129.00",
    currency: str = "USD",
    customer_no: str | None = "7",
    email: str | None = "ada@example.com",
    phone: str | None = "+14155550101",
    checkout_url: str | None = None,
) -> dict[str, Any]:
    """An OCAPI basket with one line, as the abandonment job sends it."""
    doc: dict[str, Any] = {
        "_type": "basket",
        "basket_id": basket_id,
        "customer_info": _customer_info(f"bc{uuid.uuid4().hex[:22]}", customer_no, email),
        "product_items": [
            {
                "item_id": f"{basket_id}-pli-1",
                "product_id": "TS-1",
                "product_name": "Trail Shoes",
                "quantity": 1,
                "base_price": float(Decimal(amount)),
                "price": float(Decimal(amount)),
                "c_imageUrl": "https://img.example/ts.png",
                "c_url": "https://shop.example/ts",
            }
        ],
        "product_total": float(Decimal(amount)),
        "order_total": float(Decimal(amount)),
        "currency": currency,
        "last_modified": now_iso(),
        "c_checkoutUrl": checkout_url or f"https://shop.example/checkout?basket={basket_id}",
    }
    if phone:
        doc["c_phone"] = phone
    return doc


def case_record(
    case_number: str,
    order_no: str | None,
    kind: CaseKind,
    text: str,
    *,
    status: str = "New",
    email: str | None = "ada@example.com",
    phone: str | None = "+14155550101",
    record_id: str | None = None,
) -> dict[str, Any]:
    """A Service Cloud Case as the relay sends it (`c_orderNo` added by the relay)."""
    record: dict[str, Any] = {
        "attributes": {"type": "Case"},
        "Id": record_id or f"500{uuid.uuid4().hex[:15]}",
        "CaseNumber": case_number,
        "Subject": f"{CASE_TYPES[kind]} for order {order_no}" if order_no else CASE_TYPES[kind],
        "Description": text,
        "Status": status,
        "Type": CASE_TYPES[kind],
        "Origin": "Web",
        "SuppliedEmail": email,
        "SuppliedPhone": phone,
        "SuppliedName": "Ada Lovelace",
    }
    if order_no:
        record["c_orderNo"] = order_no
    return record


def oms_event(
    name: str,
    site_id: str,
    payload: dict[str, Any],
    *,
    streaming: bool = True,
    replay_id: int = 1,
) -> dict[str, Any]:
    """An Order Management platform event as a relay forwards it: the Streaming API message, or the
    event as Apex serializes it."""
    fields = {"CreatedDate": now_iso(), "EventUuid": str(uuid.uuid4()), **payload}
    if streaming:
        return {
            "channel": f"/event/{name}",
            "data": {"schema": "dffQ2QLzDNHqwB8_sHMxdA", "event": {"replayId": replay_id}, "payload": fields},
            "site_id": site_id,
        }
    return {"attributes": {"type": name}, **fields, "site_id": site_id}
