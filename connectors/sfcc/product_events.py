"""Product events: inventory.changed, product.price_changed, wishlist.item_added and
reservation.expiring (data: the inventory record, the OCAPI product, or a product id with the
shopper's customer_info)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import Field

from connectors.sfcc.documents import CustomerInfo, Doc, InventoryRecord, ProductDocument, Text, customer_key
from connectors.sfcc.envelope import Envelope, Handler, new_event, read_data
from connectors.sfcc.status_map import PickupMethods
from domain.events import CommerceEvent, CustomerRef, EventType, ProductPayload, WatchKind


def _inventory_changed(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    record = read_data(InventoryRecord, envelope)
    product = ProductPayload(
        sku=record.id,
        product_id=record.id,
        available=int(record.ats),
        previous_available=int(record.c_previousAts) if record.c_previousAts is not None else None,
    )
    return [new_event(envelope, EventType.INVENTORY_CHANGED, product=product)]


def _price_changed(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    doc = read_data(ProductDocument, envelope)
    product = ProductPayload(
        sku=doc.id,
        product_id=doc.id,
        name=doc.name,
        price=doc.price,
        previous_price=doc.c_previousPrice,
        currency=doc.currency,
        url=doc.c_url,
    )
    return [new_event(envelope, EventType.PRICE_CHANGED, product=product)]


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
    data = read_data(_WishlistData, envelope)
    product_id = data.product_list_item.product_id
    product = ProductPayload(
        sku=product_id, product_id=product_id, watch=data.c_watch, channel=data.c_channel
    )
    return [
        new_event(
            envelope, EventType.PRODUCT_WATCHED, customer=data.ref(), product=product, extra=data.extra()
        )
    ]


def _reservation_expiring(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    data = read_data(_ReservationData, envelope)
    product = ProductPayload(
        sku=data.product_id, product_id=data.product_id, reserved_until=data.c_reservedUntil
    )
    extra = {**data.extra(), **({"basket_id": data.basket_id} if data.basket_id else {})}
    return [
        new_event(envelope, EventType.RESERVATION_EXPIRING, customer=data.ref(), product=product, extra=extra)
    ]


HANDLERS: Final[dict[str, Handler]] = {
    "inventory.changed": _inventory_changed,
    "product.price_changed": _price_changed,
    "wishlist.item_added": _wishlist_item_added,
    "reservation.expiring": _reservation_expiring,
}
