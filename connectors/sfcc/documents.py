"""OCAPI / SCAPI documents (only the fields we read) and their mapping onto our snapshots.

The same shapes arrive two ways: inside the webhook envelope's `data` (the cartridge builds them from
`dw.order.Order`, `dw.order.Basket`, `dw.customer.Profile` … with OCAPI's field names) and from the
OCAPI Shop API when hydration reads an order, basket or product. Custom attributes keep OCAPI's
`c_` prefix. The customer profile is in `customer_profiles.py`, Service Cloud's Case in
`case_events.py`.

Who a customer is: `customer_no` (the number shoppers and Business Manager see, stable across
sessions) when the document has one, else `customer_id` (OCAPI's internal id, also set for guests),
else nobody. Every SFCC event and snapshot uses this one rule, so a customer's journeys meet.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

from connectors.errors import ProviderError
from connectors.http_errors import NOT_FOUND
from connectors.sfcc.status_map import (
    DEFAULT_PICKUP_METHODS,
    OrderFacts,
    PickupMethods,
    is_pickup,
    platform_status,
    stage_for,
)
from connectors.wire import Wire, aware, blank_to_none, first_amount, full_name, id_text, unit_price
from domain.events import CustomerRef, Platform
from domain.notifications import (
    CartLine,
    CartSnapshot,
    OrderLine,
    OrderSnapshot,
    ProductInfo,
    Recipient,
    Shipment,
)

PROVIDER = "SFCC"


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# Ids are strings in OCAPI; a script that sends a number should not be refused for it.
Text = Annotated[str | None, BeforeValidator(lambda v: blank_to_none(id_text(v)))]
Status = Annotated[str, BeforeValidator(_lower)]
OptionalStatus = Annotated[str | None, BeforeValidator(lambda v: _lower(blank_to_none(v)))]

# OCAPI documents carry far more than we read, and merchants add c_* attributes: `Wire` ignores them.
Doc = Wire


class CustomerInfo(Doc):
    customer_id: Text = None
    customer_no: Text = None
    email: Text = None
    customer_name: Text = None


class Address(Doc):
    first_name: Text = None
    last_name: Text = None
    phone: Text = None
    city: Text = None
    country_code: Text = None


class ShippingMethod(Doc):
    id: Text = None
    name: Text = None


class OrderShipment(Doc):
    shipment_id: Text = None
    shipping_method: ShippingMethod | None = None
    shipping_address: Address | None = None
    tracking_number: Text = None
    c_carrier: Text = None
    c_trackingUrl: Text = None
    c_fromStoreId: Text = None


class ProductItem(Doc):
    product_id: Text = None
    product_name: Text = None
    item_text: Text = None
    quantity: Decimal = Decimal(1)
    price: Decimal | None = None  # the line's total
    base_price: Decimal | None = None  # one unit
    c_imageUrl: Text = None
    c_url: Text = None
    c_brand: Text = None  # the product's brand, copied onto the line by the cartridge

    def unit_price(self) -> Decimal:
        return unit_price(self.base_price, self.price, self.quantity)

    def name(self) -> str:
        return self.product_name or self.item_text or self.product_id or "item"


class OrderDocument(Doc):
    order_no: str = Field(min_length=1)
    status: Status
    shipping_status: Status = "not_shipped"
    payment_status: Status = "not_paid"
    confirmation_status: Status = "not_confirmed"
    customer_info: CustomerInfo = Field(default_factory=CustomerInfo)
    customer_name: Text = None
    billing_address: Address | None = None
    product_items: list[ProductItem] = Field(default_factory=list)
    shipments: list[OrderShipment] = Field(default_factory=list)
    order_total: Decimal | None = None
    product_total: Decimal | None = None
    currency: str = "USD"
    creation_date: datetime | None = None
    customer_locale: Text = None
    c_locale: Text = None
    c_isPickup: bool = False
    c_fromStoreId: Text = None
    c_pickupReady: bool = False
    c_pickedUp: bool = False
    c_deliveryStatus: OptionalStatus = None
    c_fraudStatus: OptionalStatus = None
    c_refundStatus: OptionalStatus = None
    c_refundId: Text = None
    c_vip: bool = False  # the merchant's VIP flag (a customer group, copied onto the order by the cartridge)
    c_refundAmount: Decimal | None = None
    c_pickupWindowEnd: datetime | None = None
    c_previousPickupWindowEnd: datetime | None = None
    c_estimatedDelivery: datetime | None = None  # the carrier integration's current estimate
    c_pushToken: Text = None  # the shopper's app registration (the cartridge copies it from the profile)

    def pickup(self, methods: PickupMethods = DEFAULT_PICKUP_METHODS) -> bool:
        return is_pickup(
            (s.shipping_method.id if s.shipping_method else None for s in self.shipments),
            marked=self.c_isPickup,
            store_ids=[self.c_fromStoreId, *(s.c_fromStoreId for s in self.shipments)],
            methods=methods,
        )

    def facts(self, methods: PickupMethods = DEFAULT_PICKUP_METHODS) -> OrderFacts:
        return OrderFacts(
            status=self.status,
            shipping_status=self.shipping_status,
            payment_status=self.payment_status,
            confirmation_status=self.confirmation_status,
            pickup=self.pickup(methods),
            pickup_ready=self.c_pickupReady,
            picked_up=self.c_pickedUp,
            delivery_status=self.c_deliveryStatus,
            fraud_status=self.c_fraudStatus,
            refund_status=self.c_refundStatus,
        )

    def tracked_shipment(self) -> OrderShipment | None:
        return next((s for s in self.shipments if s.tracking_number), None)

    def total(self) -> Decimal:
        return first_amount(self.order_total, self.product_total)

    def customer_ref(self) -> CustomerRef:
        info = self.customer_info
        billing = self.billing_address or Address()
        return CustomerRef(
            customer_id=customer_key(info.customer_no, info.customer_id),
            email=info.email,
            phone=billing.phone,
            name=info.customer_name or self.customer_name or full_name(billing.first_name, billing.last_name),
            locale=self.c_locale or self.customer_locale,
        )


class BasketDocument(Doc):
    basket_id: str = Field(min_length=1)
    customer_info: CustomerInfo = Field(default_factory=CustomerInfo)
    billing_address: Address | None = None
    product_items: list[ProductItem] = Field(default_factory=list)
    product_total: Decimal | None = None
    order_total: Decimal | None = None
    currency: str = "USD"
    last_modified: datetime | None = None
    order_no: Text = None  # basket.converted: the order it became
    c_checkoutUrl: Text = None
    c_locale: Text = None
    c_phone: Text = None
    c_pushToken: Text = None

    def customer_ref(self) -> CustomerRef:
        info = self.customer_info
        return CustomerRef(
            customer_id=customer_key(info.customer_no, info.customer_id),
            email=info.email,
            phone=self.c_phone or (self.billing_address.phone if self.billing_address else None),
            name=info.customer_name,
            locale=self.c_locale,
        )


class Inventory(Doc):
    ats: Decimal | None = None
    stock_level: Decimal | None = None
    orderable: bool | None = None


class Image(Doc):
    link: Text = None


class ImageGroup(Doc):
    images: list[Image] = Field(default_factory=list)


class ProductDocument(Doc):
    """OCAPI's Shop API product (with `expand=availability,prices`) or the envelope's product."""

    id: str = Field(min_length=1)
    name: Text = None
    price: Decimal | None = None
    currency: Text = None
    primary_category_id: Text = None
    brand: Text = None
    inventory: Inventory | None = None
    image_groups: list[ImageGroup] = Field(default_factory=list)
    c_url: Text = None
    c_imageUrl: Text = None
    c_replenishDays: Annotated[int | None, BeforeValidator(lambda v: _positive_int(v))] = None
    c_previousPrice: Decimal | None = None

    def image(self) -> str | None:
        if self.c_imageUrl:
            return self.c_imageUrl
        return next((i.link for g in self.image_groups for i in g.images if i.link), None)


class InventoryRecord(Doc):
    """OCAPI's product inventory record: `id` is the product id (our SKU key)."""

    id: str = Field(min_length=1)
    ats: Decimal
    stock_level: Decimal | None = None
    c_previousAts: Decimal | None = None


def customer_key(customer_no: str | None, customer_id: str | None) -> str | None:
    """Who the customer is across every SFCC event: `customer_no`, else `customer_id`."""
    return customer_no or customer_id


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def order_snapshot(
    site: str, order: OrderDocument, *, pickup_methods: PickupMethods = DEFAULT_PICKUP_METHODS
) -> OrderSnapshot:
    facts = order.facts(pickup_methods)
    stage = stage_for(facts)
    if stage is None:
        raise ProviderError(
            f"order {order.order_no} was replaced by another order",
            provider=PROVIDER,
            kind=NOT_FOUND,
            transient=False,
        )
    customer = order.customer_ref()
    billing = order.billing_address or Address()
    return OrderSnapshot(
        platform=Platform.SFCC,
        store=site,
        order_id=order.order_no,
        platform_status=platform_status(facts),
        stage=stage,
        customer=Recipient(
            customer_id=customer.customer_id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            push_token=order.c_pushToken,
            locale=_language(customer.locale),
            country=billing.country_code.upper() if billing.country_code else None,
        ),
        total=order.total(),
        currency=order.currency,
        created_at=_utc(order.creation_date),
        estimated_delivery=_utc(order.c_estimatedDelivery),
        lines=[
            OrderLine(
                product_id=item.product_id,
                name=item.name(),
                sku=item.product_id,
                quantity=int(item.quantity),
                price=item.unit_price(),
                image_url=item.c_imageUrl,
                brand=item.c_brand,
            )
            for item in order.product_items
        ],
        shipments=[
            Shipment(
                shipment_id=shipment.shipment_id or f"shipment-{number}",
                carrier=shipment.c_carrier,
                tracking_number=shipment.tracking_number,
                tracking_link=shipment.c_trackingUrl,
                shipping_method=(
                    (shipment.shipping_method.name or shipment.shipping_method.id)
                    if shipment.shipping_method
                    else None
                ),
            )
            for number, shipment in enumerate(order.shipments, start=1)
        ],
        shipping_city=next(
            (
                s.shipping_address.city
                for s in order.shipments
                if s.shipping_address and s.shipping_address.city
            ),
            None,
        ),
    )


def cart_snapshot(site: str, basket: BasketDocument) -> CartSnapshot:
    customer = basket.customer_ref()
    total = next((t for t in (basket.order_total, basket.product_total) if t is not None), None)
    lines = [
        CartLine(
            product_id=item.product_id,
            name=item.name(),
            sku=item.product_id,
            quantity=int(item.quantity),
            price=item.unit_price(),
            image_url=item.c_imageUrl,
            url=item.c_url,
        )
        for item in basket.product_items
    ]
    return CartSnapshot(
        platform=Platform.SFCC,
        store=site,
        cart_id=basket.basket_id,
        customer=Recipient(
            customer_id=customer.customer_id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            push_token=basket.c_pushToken,
            locale=_language(customer.locale),
        ),
        lines=lines,
        total=total if total is not None else sum((line.price * line.quantity for line in lines), Decimal(0)),
        currency=basket.currency,
        checkout_url=basket.c_checkoutUrl,
        updated_at=_utc(basket.last_modified),
    )


def product_info(product: ProductDocument) -> ProductInfo:
    return ProductInfo(
        product_id=product.id,
        name=product.name or product.id,
        sku=product.id,
        # SFCC category ids are the merchant's stable keys ("electronics", "mens-shoes"): review
        # policies are written against them.
        categories=[product.primary_category_id] if product.primary_category_id else [],
        url=product.c_url,
        image_url=product.image(),
        replenish_days=product.c_replenishDays,
        brand=product.brand,
    )


def _language(locale: str | None) -> str | None:
    # SFCC locales look like "en_US" or "default"; templates are per language. None (no locale, or
    # the site's "default"): the store's default locale applies.
    if not locale or locale == "default":
        return None
    return locale.replace("-", "_").split("_", 1)[0].lower() or None


def _utc(moment: datetime | None) -> datetime | None:
    return aware(moment) if moment is not None else None
