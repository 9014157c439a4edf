"""BigCommerce's REST shapes (only the fields we read) and their mapping onto our snapshots.

Kept apart from the HTTP client so the wire format reads in one place: V2 orders (one and listed),
products, shipments and addresses; V3 carts, customers and catalog products (facts, stock, price).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from connectors.bigcommerce.status_map import STATUS_NAMES, STATUS_STAGES
from connectors.errors import ProviderError
from connectors.http_errors import invalid_response, parse_answer
from connectors.wire import Text, Wire, aware, first_amount, full_name, parse_iso
from domain.events import Platform
from domain.notifications import (
    CartLine,
    CartSnapshot,
    OrderLine,
    OrderSnapshot,
    ProductInfo,
    Recipient,
    Shipment,
)

PROVIDER = "BigCommerce"
REPLENISH_FIELD = "replenish_days"  # the product custom field naming a consumable's cycle in days


def invalid(message: str) -> ProviderError:
    return invalid_response(PROVIDER, message)


def object_or_none(value: object) -> object:
    # An absent nested object shows up as null, {} or [] depending on the resource.
    return value if isinstance(value, dict) and value else None


class BcBillingAddress(Wire):
    first_name: Text = None
    last_name: Text = None
    email: Text = None
    phone: Text = None
    country_iso2: Text = None


class BcOrder(Wire):
    id: int
    customer_id: int = 0  # 0 is a guest checkout
    status_id: int
    status: str | None = None
    date_created: str | None = None  # RFC 2822, e.g. "Tue, 05 Mar 2019 21:40:39 +0000"
    total_inc_tax: Decimal
    currency_code: str
    billing_address: BcBillingAddress = Field(default_factory=BcBillingAddress)
    customer_locale: Text = None  # the storefront language the order was placed in, e.g. "fr"


class BcProduct(Wire):
    product_id: int | str | None = None  # 0 for a custom product that is not in the catalog
    name: str
    sku: Text = None
    quantity: int = 1
    price_inc_tax: Decimal = Decimal(0)
    image_url: Text = None  # not in BigCommerce's V2 shape; our sandbox adds it


class BcShipment(Wire):
    id: int | str
    tracking_number: Text = None
    tracking_carrier: Text = None
    tracking_link: Text = None
    shipping_method: Text = None
    shipping_provider: Text = None


class BcShippingAddress(Wire):
    id: int | str | None = None
    city: Text = None
    shipping_method: Text = None  # what the shopper chose at checkout, e.g. "Express (next day)"


class BcCustomerGroup(Wire):
    """`GET /v2/customer_groups/{id}`: the group's name is what merchants configure (e.g. "VIP")."""

    id: int | str
    name: str = ""


class BcCustomer(Wire):
    id: int | str | None = None
    first_name: Text = None
    last_name: Text = None
    email: Text = None
    phone: Text = None
    customer_group_id: int | None = None  # 0: no group


class BcCartItem(Wire):
    product_id: int | str | None = None  # custom items have none
    parent_id: int | str | None = None  # set on the children of a bundle, which the parent stands for
    name: str
    sku: Text = None
    quantity: int = 1
    sale_price: Decimal | None = None  # after item discounts: what the shopper sees
    list_price: Decimal | None = None
    image_url: Text = None
    url: Text = None


class BcLineItems(Wire):
    physical_items: list[BcCartItem] = Field(default_factory=list)
    digital_items: list[BcCartItem] = Field(default_factory=list)
    custom_items: list[BcCartItem] = Field(default_factory=list)


class BcCurrency(Wire):
    code: str = "USD"


class BcRedirectUrls(Wire):
    checkout_url: Text = None
    cart_url: Text = None


class BcCart(Wire):
    id: str
    customer_id: int = 0  # 0 is a guest
    email: Text = None
    locale: Text = None
    currency: BcCurrency = Field(default_factory=BcCurrency)
    cart_amount: Decimal = Decimal(0)
    updated_time: str | None = None  # ISO 8601
    line_items: BcLineItems = Field(default_factory=BcLineItems)
    redirect_urls: Annotated[BcRedirectUrls | None, BeforeValidator(object_or_none)] = None


class BcCustomField(Wire):
    name: str = ""
    value: Any = None


class BcCustomUrl(Wire):
    url: Text = None


class BcImage(Wire):
    url_standard: Text = None


class BcCatalogProduct(Wire):
    id: int | str
    name: str
    sku: Text = None
    categories: list[int | str] = Field(default_factory=list)
    custom_url: Annotated[BcCustomUrl | None, BeforeValidator(object_or_none)] = None
    primary_image: Annotated[BcImage | None, BeforeValidator(object_or_none)] = None
    custom_fields: list[BcCustomField] = Field(default_factory=list)
    brand_id: int | str | None = None  # 0: no brand


class BcCategory(Wire):
    id: int | str
    name: str


class BcProductStock(Wire):
    """A V3 catalog product's stock and price fields (`GET /v3/catalog/products/{id}`)."""

    id: int | str
    inventory_level: int = 0
    inventory_tracking: str = "none"  # "none", "product" or "variant"
    availability: str = "available"  # "available", "disabled" (not for sale) or "preorder"
    price: Decimal = Decimal(0)
    sale_price: Decimal = Decimal(0)  # 0 is "no sale price"
    calculated_price: Decimal | None = None  # after sale price and price rules, when the API gives it

    def current_price(self) -> Decimal:
        if self.calculated_price is not None:
            return self.calculated_price
        return self.sale_price if self.sale_price > 0 else self.price


class BcOrderSummary(Wire):
    """The fields of a V2 order in a listing (`GET /v2/orders`) that tell whether it was a purchase."""

    id: int
    customer_id: int = 0  # 0 is a guest checkout
    status_id: int


class BcOrderLineRef(Wire):
    product_id: int | str | None = None  # 0 for a custom product that is not in the catalog


def id_or_none(value: int | str | None) -> str | None:
    # BigCommerce uses 0 (or nothing) for "no such record", e.g. a custom product.
    if value is None or str(value).strip() in ("", "0"):
        return None
    return str(value).strip()


def cart_snapshot(
    store_hash: str, cart: BcCart, account: BcCustomer | None, checkout_url: str | None
) -> CartSnapshot:
    if cart.customer_id > 0:
        recipient = Recipient(
            customer_id=str(cart.customer_id),
            name=full_name(account.first_name, account.last_name) if account is not None else None,
            email=(account.email if account is not None else None) or cart.email,
            phone=account.phone if account is not None else None,
            locale=cart.locale,  # None: the store's default locale applies
        )
    else:
        recipient = Recipient(customer_id=None, email=cart.email, locale=cart.locale)
    items = cart.line_items
    lines = [
        CartLine(
            product_id=id_or_none(item.product_id),
            name=item.name,
            sku=item.sku,
            quantity=item.quantity,
            price=first_amount(item.sale_price, item.list_price),
            image_url=item.image_url,
            url=item.url,
        )
        for item in (*items.physical_items, *items.digital_items, *items.custom_items)
        if id_or_none(item.parent_id) is None
    ]
    return CartSnapshot(
        platform=Platform.BIGCOMMERCE,
        store=store_hash,
        cart_id=cart.id,
        customer=recipient,
        lines=lines,
        total=cart.cart_amount,
        currency=cart.currency.code,
        checkout_url=checkout_url,
        updated_at=parse_iso(cart.updated_time),  # unreadable: None, as with RFC 2822 dates
    )


def product_info(
    product: BcCatalogProduct, category_names: dict[str, str], brand_names: dict[str, str] | None = None
) -> ProductInfo:
    return ProductInfo(
        product_id=str(product.id),
        name=product.name,
        sku=product.sku,
        categories=[category_names[str(c)] for c in product.categories if str(c) in category_names],
        url=product.custom_url.url if product.custom_url else None,  # storefront-relative path
        image_url=product.primary_image.url_standard if product.primary_image else None,
        replenish_days=replenish_days(product.custom_fields),
        brand=(brand_names or {}).get(id_or_none(product.brand_id) or ""),
    )


def replenish_days(fields: list[BcCustomField]) -> int | None:
    for field in fields:
        if field.name.strip().lower() != REPLENISH_FIELD:
            continue
        value = field.value
        if isinstance(value, bool):
            continue
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                continue
        if isinstance(value, int) and value > 0:
            return value
    return None


def order_snapshot(
    store_hash: str,
    order_raw: dict[str, Any],
    products_raw: list[dict[str, Any]],
    shipments_raw: list[dict[str, Any]],
    addresses_raw: list[dict[str, Any]],
    customer_groups: list[str] | None = None,
) -> OrderSnapshot:
    order = parse_answer(BcOrder, order_raw, "order", PROVIDER)
    products = [parse_answer(BcProduct, p, "order product", PROVIDER) for p in products_raw]
    shipments = [parse_answer(BcShipment, s, "shipment", PROVIDER) for s in shipments_raw]
    addresses = [parse_answer(BcShippingAddress, a, "shipping address", PROVIDER) for a in addresses_raw]
    stage = STATUS_STAGES.get(order.status_id)
    if stage is None:
        raise invalid(f"order {order.id} has unknown status id {order.status_id}")

    billing = order.billing_address
    return OrderSnapshot(
        platform=Platform.BIGCOMMERCE,
        store=store_hash,
        order_id=str(order.id),
        # `status` is the store's label; fall back to the standard name.
        platform_status=order.status or STATUS_NAMES[order.status_id],
        stage=stage,
        customer=Recipient(
            customer_id=str(order.customer_id) if order.customer_id else None,
            name=full_name(billing.first_name, billing.last_name),
            email=billing.email,
            phone=billing.phone,
            locale=order.customer_locale,  # None: the store's default locale applies
            country=billing.country_iso2,
        ),
        total=order.total_inc_tax,
        currency=order.currency_code,
        created_at=rfc2822(order.date_created),
        lines=[
            OrderLine(
                product_id=id_or_none(item.product_id),
                name=item.name,
                sku=item.sku,
                quantity=item.quantity,
                price=item.price_inc_tax,
                image_url=item.image_url,
            )
            for item in products
        ],
        shipments=[
            Shipment(
                shipment_id=str(item.id),
                carrier=item.tracking_carrier or item.shipping_provider,
                tracking_number=item.tracking_number,
                tracking_link=item.tracking_link,
                shipping_method=item.shipping_method,
            )
            for item in shipments
        ]
        or planned_shipments(addresses),
        shipping_city=next((address.city for address in addresses if address.city), None),
        customer_groups=customer_groups or [],
    )


def planned_shipments(addresses: list[BcShippingAddress]) -> list[Shipment]:
    """Before anything ships, each shipping address's chosen method stands for its shipment: the
    order journey judges expedited shipping on its first read, when there are no shipments yet."""
    return [
        Shipment(shipment_id=f"address-{address.id}", shipping_method=address.shipping_method)
        for address in addresses
        if address.shipping_method and address.id is not None
    ]


def rfc2822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # a display nicety, not worth failing hydration over
    # "-0000" means "zone unknown" and parses naive; BigCommerce's clock is UTC.
    return aware(parsed)
