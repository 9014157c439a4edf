"""SAP items onto our snapshots and event parts: recipients, order stages, cart and order
snapshots, product facts and what a warehouse can sell."""

from __future__ import annotations

from decimal import Decimal

from connectors.sap_commerce.catalog_documents import (
    FORCE_IN_STOCK,
    FORCE_OUT_OF_STOCK,
    SapProduct,
    SapStockLevel,
)
from connectors.sap_commerce.customer_documents import SapCustomer
from connectors.sap_commerce.item_json import SapAddress, SapEntry, SapIso, SapUser
from connectors.sap_commerce.order_documents import SapCart, SapConsignment, SapOrder
from connectors.sap_commerce.status_map import (
    CANCELLED_CONSIGNMENT,
    CONSIGNMENT_STATUS_STAGES,
    consignment_status_stage,
    order_stage,
    order_status_stage,
)
from connectors.wire import full_name, unit_price
from domain.events import PROGRESS_RANK, CustomerRef, OrderStage, Platform
from domain.notifications import (
    CartLine,
    CartSnapshot,
    OrderLine,
    OrderSnapshot,
    ProductInfo,
    Recipient,
    Shipment,
)

ANONYMOUS_UID = "anonymous"  # SAP's built-in user for carts nobody has logged in to


def customer_id_of(user: SapUser | SapCustomer | None) -> str | None:
    """Our customer id for an SAP user: `customerID` (no personal data in workflow ids), else `uid`;
    None for the anonymous user and for guests (uid `<guid>|<email>`: no account)."""
    if user is None or user.uid == ANONYMOUS_UID:
        return None
    if user.customer_id:
        return user.customer_id
    return None if "|" in user.uid else user.uid


def _email_of_uid(uid: str) -> str | None:
    # Registered B2C customers log in with their email; guests are "<guid>|<email>".
    candidate = uid.rpartition("|")[2]
    return candidate if "@" in candidate else None


def _name(user: SapUser | None, address: SapAddress | None) -> str | None:
    joined = full_name(address.firstname, address.lastname) if address is not None else None
    return joined or (user.name if user is not None else None)


def recipient(
    user: SapUser | None, address: SapAddress | None = None, language: SapIso | None = None
) -> Recipient:
    email = (address.email if address else None) or (user.contact_email if user else None)
    if email is None and user is not None and user.uid != ANONYMOUS_UID:
        email = _email_of_uid(user.uid)
    return Recipient(
        customer_id=customer_id_of(user),
        name=_name(user, address),
        email=email,
        phone=address.phone1 if address else None,
        locale=language.isocode if language else None,  # None: the store's default locale
    )


def customer_ref(
    user: SapUser | None, address: SapAddress | None = None, language: SapIso | None = None
) -> CustomerRef:
    person = recipient(user, address, language)
    return CustomerRef(
        customer_id=person.customer_id,
        email=person.email,
        phone=person.phone,
        name=person.name,
        locale=language.isocode if language else None,
    )


def consignment_statuses(order: SapOrder) -> list[str]:
    """The consignments' status codes, each checked against the table (the error names its index)."""
    for index, consignment in enumerate(order.consignments):
        consignment_status_stage(consignment.status.code, f"consignments[{index}].status.code")
    return [consignment.status.code for consignment in order.consignments]


def stage_of_order(order: SapOrder) -> OrderStage:
    order_status_stage(order.status.code)
    return order_stage(order.status.code, consignment_statuses(order))


def is_sent(consignment: SapConsignment) -> bool:
    """Shipped (or further: out for delivery, delivered, collected)."""
    stage = CONSIGNMENT_STATUS_STAGES.get(consignment.status.code)
    return stage in PROGRESS_RANK and PROGRESS_RANK[stage] >= PROGRESS_RANK[OrderStage.SHIPPED]


def _unit_price(entry: SapEntry) -> Decimal:
    return unit_price(entry.base_price, entry.total_price, entry.quantity)


def order_snapshot(site: str, order: SapOrder) -> OrderSnapshot:
    """Raises `WebhookPayloadError` for a status the tables do not know (the client reclassifies)."""
    consignments = [c for c in order.consignments if c.status.code != CANCELLED_CONSIGNMENT]
    return OrderSnapshot(
        platform=Platform.SAP_COMMERCE,
        store=site,
        order_id=order.code,
        platform_status=order.status.code,
        stage=stage_of_order(order),
        customer=recipient(order.user, order.payment_address or order.delivery_address, order.language),
        total=order.total_price if order.total_price is not None else Decimal(0),
        currency=order.currency.isocode if order.currency else "USD",
        created_at=order.date,
        lines=[
            OrderLine(
                product_id=entry.product.code,
                name=entry.product.name or entry.product.code,
                sku=entry.product.code,
                quantity=entry.quantity,
                price=_unit_price(entry),
            )
            for entry in order.entries
        ],
        shipments=[
            Shipment(
                shipment_id=c.code,
                carrier=c.carrier,
                tracking_number=c.tracking_id,
                shipping_method=c.delivery_mode.code if c.delivery_mode else None,
            )
            for c in consignments
            if is_sent(c) or c.tracking_id
        ]
        or _planned(order),
        shipping_city=order.delivery_address.town if order.delivery_address else None,
        customer_groups=[group.uid for group in order.user.groups] if order.user else [],
    )


def _planned(order: SapOrder) -> list[Shipment]:
    """Before a consignment ships, the order's delivery mode stands for its shipment: the order
    journey judges expedited delivery on its first read."""
    if order.delivery_mode is None:
        return []
    return [Shipment(shipment_id=f"{order.code}-planned", shipping_method=order.delivery_mode.code)]


def cart_snapshot(site: str, cart: SapCart, checkout_url: str | None) -> CartSnapshot:
    return CartSnapshot(
        platform=Platform.SAP_COMMERCE,
        store=site,
        cart_id=cart.code,
        customer=recipient(cart.user),
        lines=[
            CartLine(
                product_id=entry.product.code,
                name=entry.product.name or entry.product.code,
                sku=entry.product.code,
                quantity=entry.quantity,
                price=_unit_price(entry),
            )
            for entry in cart.entries
        ],
        total=cart.total_price if cart.total_price is not None else Decimal(0),
        currency=cart.currency.isocode if cart.currency else "USD",
        checkout_url=checkout_url,
        updated_at=cart.modifiedtime,
    )


def product_info(product: SapProduct) -> ProductInfo:
    return ProductInfo(
        product_id=product.code,
        name=product.name or product.code,
        sku=product.code,
        categories=[c.name or c.code for c in product.supercategories],
        image_url=product.picture.url if product.picture else None,
        replenish_days=product.replenish_days
        if product.replenish_days and product.replenish_days > 0
        else None,
        brand=product.manufacturer_name,
    )


def available_to_sell(stock: SapStockLevel) -> int | None:
    """What one warehouse can sell now: available − reserved (never below 0); `forceOutOfStock` is 0
    and `forceInStock` None (not tracked: always sellable)."""
    status = stock.in_stock_status.code if stock.in_stock_status else None
    if status == FORCE_OUT_OF_STOCK:
        return 0
    if status == FORCE_IN_STOCK:
        return None
    return max(stock.available - stock.reserved, 0)
