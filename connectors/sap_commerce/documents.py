"""The integration objects' JSON (the `Tidings*` IOs in deploy/sap-commerce/) and its mapping onto
our snapshots and event parts.

One set of models reads both sources: the item JSON `webhookservices` posts (nested objects,
arrays, `integrationKey`) and what the Integration API's OData v2 answers for the same IO
(`{"d": ...}`, collections as `{"results": [...]}`, `__metadata`, unexpanded navigation properties
as `__deferred`); `plain()` turns the second into the first. Dates come as `/Date(ms)/` (both) or
ISO 8601. Field aliases are the IO attribute names; `INTEGRATION_OBJECTS` says which model reads
which IO item, and tests/test_sap_impex.py holds the ImpEx to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from connectors.sap_commerce.status_map import (
    CANCELLED_CONSIGNMENT,
    CONSIGNMENT_STATUS_STAGES,
    consignment_status_stage,
    order_stage,
    order_status_stage,
)
from connectors.wire import Text, Wire, full_name, parse_iso, unit_price
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
FORCE_IN_STOCK = "forceInStock"  # InStockStatus: sell regardless of the figures
FORCE_OUT_OF_STOCK = "forceOutOfStock"

_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def none_to_list(value: object) -> object:
    return [] if value is None else value


def sap_date(value: object) -> object:
    """`/Date(1577836800000)/` (webhook and OData v2), epoch milliseconds or ISO 8601 → aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        match = _DATE.match(text)
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
        parsed = parse_iso(text)
        if parsed is not None:
            return parsed
    raise PydanticCustomError("sap_date", "must be /Date(ms)/ or an ISO 8601 date")


SapDate = Annotated[datetime | None, BeforeValidator(sap_date)]
Code = Annotated[str, Field(min_length=1)]


class SapWire(Wire):
    # Merchants extend their IOs (`Wire` ignores what we do not read); fields are read by IO
    # attribute name (the alias) or by their own name.
    model_config = ConfigDict(populate_by_name=True)


class SapCode(SapWire):
    """An enum value (OrderStatus, ConsignmentStatus, ReturnStatus …) or an item known by `code`."""

    code: Code


class SapIso(SapWire):
    """Currency, Language."""

    isocode: Code


class SapUid(SapWire):
    """BaseSite, BaseStore."""

    uid: Code


class SapAddress(SapWire):
    firstname: Text = None
    lastname: Text = None
    email: Text = None
    phone1: Text = None
    town: Text = None


class SapUser(SapWire):
    """The customer an order, cart or return belongs to."""

    uid: Code
    name: Text = None
    customer_id: Text = Field(default=None, alias="customerID")
    contact_email: Text = Field(default=None, alias="contactEmail")


class SapProductRef(SapWire):
    code: Code
    name: Text = None


class SapEntry(SapWire):
    entry_number: int | None = Field(default=None, alias="entryNumber")
    product: SapProductRef
    quantity: int = 1
    total_price: Decimal | None = Field(default=None, alias="totalPrice")
    base_price: Decimal | None = Field(default=None, alias="basePrice")


class SapPointOfService(SapWire):
    name: Code
    display_name: Text = Field(default=None, alias="displayName")


class SapConsignment(SapWire):
    code: Code
    status: SapCode
    tracking_id: Text = Field(default=None, alias="trackingID")
    carrier: Text = None
    delivery_mode: SapCode | None = Field(default=None, alias="deliveryMode")
    delivery_point_of_service: SapPointOfService | None = Field(default=None, alias="deliveryPointOfService")
    shipping_date: SapDate = Field(default=None, alias="shippingDate")


Entries = Annotated[list[SapEntry], BeforeValidator(none_to_list)]


class SapOrder(SapWire):
    """`TidingsOrder` (root item `Order`)."""

    code: Code
    status: SapCode
    user: SapUser | None = None
    payment_address: SapAddress | None = Field(default=None, alias="paymentAddress")
    delivery_address: SapAddress | None = Field(default=None, alias="deliveryAddress")
    total_price: Decimal | None = Field(default=None, alias="totalPrice")
    currency: SapIso | None = None
    entries: Entries = Field(default_factory=list)
    consignments: Annotated[list[SapConsignment], BeforeValidator(none_to_list)] = Field(default_factory=list)
    delivery_mode: SapCode | None = Field(default=None, alias="deliveryMode")
    date: SapDate = None
    modifiedtime: SapDate = None
    site: SapUid | None = None
    store: SapUid | None = None
    language: SapIso | None = None
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapCart(SapWire):
    """`TidingsCart` (root item `Cart`). `statusInfo` carries the abandonment mark (webhooks.py)."""

    code: Code
    user: SapUser | None = None
    total_price: Decimal | None = Field(default=None, alias="totalPrice")
    currency: SapIso | None = None
    entries: Entries = Field(default_factory=list)
    modifiedtime: SapDate = None
    save_time: SapDate = Field(default=None, alias="saveTime")
    status_info: Text = Field(default=None, alias="statusInfo")
    site: SapUid | None = None
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapStockLevel(SapWire):
    """`TidingsStockLevel` (root item `StockLevel`): one product in one warehouse."""

    product_code: Code = Field(alias="productCode")
    warehouse: SapCode
    available: int = 0
    reserved: int = 0
    over_selling: int = Field(default=0, alias="overSelling")
    in_stock_status: SapCode | None = Field(default=None, alias="inStockStatus")
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapCustomer(SapWire):
    """`TidingsCustomer` (root item `Customer`). The `tidings*` attributes are virtual attributes
    (deploy/sap-commerce/README.md); `birthday`, `loyaltyPoints`, `loyaltyTier` and `site` are read
    when the merchant's type system has them (see `EXTENSION_ATTRIBUTES`)."""

    uid: Code
    customer_id: Text = Field(default=None, alias="customerID")
    name: Text = None
    contact_email: Text = Field(default=None, alias="contactEmail")
    session_language: SapIso | None = Field(default=None, alias="sessionLanguage")
    default_shipment_address: SapAddress | None = Field(default=None, alias="defaultShipmentAddress")
    modifiedtime: SapDate = None
    tidings_event: Text = Field(default=None, alias="tidingsEvent")
    tidings_detail: Text = Field(default=None, alias="tidingsDetail")
    tidings_link: Text = Field(default=None, alias="tidingsLink")
    tidings_expires_at: SapDate = Field(default=None, alias="tidingsExpiresAt")
    birthday: SapDate = None
    loyalty_points: int | None = Field(default=None, alias="loyaltyPoints")
    loyalty_tier: Text = Field(default=None, alias="loyaltyTier")
    site: SapUid | None = None
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapReturnOrder(SapWire):
    """The order a return request belongs to, as `TidingsReturnRequest` carries it."""

    code: Code
    site: SapUid | None = None
    total_price: Decimal | None = Field(default=None, alias="totalPrice")
    currency: SapIso | None = None
    user: SapUser | None = None


class SapEntryRef(SapWire):
    entry_number: int | None = Field(default=None, alias="entryNumber")
    product: SapProductRef | None = None


class SapReturnEntry(SapWire):
    """A `RefundEntry` (the accelerator's only kind of return entry)."""

    order_entry: SapEntryRef | None = Field(default=None, alias="orderEntry")
    expected_quantity: int | None = Field(default=None, alias="expectedQuantity")
    reason: SapCode | None = None
    action: SapCode | None = None  # ReturnAction: HOLD (goods come back) or IMMEDIATE (refund only)
    notes: Text = None
    amount: Decimal | None = None


class SapReturnRequest(SapWire):
    """`TidingsReturnRequest` (root item `ReturnRequest`). `refundAmount` is a virtual attribute."""

    code: Code
    rma: Text = Field(default=None, alias="RMA")
    status: SapCode
    order: SapReturnOrder
    return_entries: Annotated[list[SapReturnEntry], BeforeValidator(none_to_list)] = Field(
        default_factory=list, alias="returnEntries"
    )
    refund_amount: Decimal | None = Field(default=None, alias="refundAmount")
    modifiedtime: SapDate = None
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapCatalog(SapWire):
    id: Code


class SapCatalogVersion(SapWire):
    version: Code
    catalog: SapCatalog | None = None


class SapCategory(SapWire):
    code: Code
    name: Text = None


class SapMedia(SapWire):
    code: Code
    url: Text = Field(default=None, alias="URL")


class SapProduct(SapWire):
    """`TidingsProduct` (root item `Product`); `replenishDays` when the merchant has that attribute."""

    code: Code
    name: Text = None
    catalog_version: SapCatalogVersion | None = Field(default=None, alias="catalogVersion")
    supercategories: Annotated[list[SapCategory], BeforeValidator(none_to_list)] = Field(default_factory=list)
    picture: SapMedia | None = None
    replenish_days: int | None = Field(default=None, alias="replenishDays")
    integration_key: Text = Field(default=None, alias="integrationKey")


class SapCommentUser(SapWire):
    uid: Code


class SapDomainRef(SapWire):
    """A comment's Component or CommentType: a code within a Domain."""

    code: Code
    domain: SapCode | None = None


class SapOrderRef(SapWire):
    """An order as a comment names it: code and base site (its key in the comment IOs)."""

    code: Code
    site: SapUid | None = None


class SapReturnRef(SapWire):
    code: Code
    order: SapOrderRef | None = None


class SapComment(SapWire):
    """What Tidings writes through the inbound IOs `TidingsOrderComment` and
    `TidingsReturnRequestComment` (root `Comment`, attached through `relatedItems`)."""

    code: Code
    text: str
    subject: Text = None
    author: SapCommentUser | None = None
    component: SapDomainRef | None = None
    comment_type: SapDomainRef | None = Field(default=None, alias="commentType")


class SapOrderComment(SapComment):
    related_items: Annotated[list[SapOrderRef], BeforeValidator(none_to_list)] = Field(
        default_factory=list, alias="relatedItems"
    )


class SapReturnComment(SapComment):
    related_items: Annotated[list[SapReturnRef], BeforeValidator(none_to_list)] = Field(
        default_factory=list, alias="relatedItems"
    )


# Which model reads which item of which integration object (the ImpEx test holds the two together).
INTEGRATION_OBJECTS: Final[dict[str, dict[str, type[SapWire]]]] = {
    "TidingsOrder": {
        "Order": SapOrder,
        "OrderStatus": SapCode,
        "Customer": SapUser,
        "Address": SapAddress,
        "Currency": SapIso,
        "OrderEntry": SapEntry,
        "Product": SapProductRef,
        "Consignment": SapConsignment,
        "ConsignmentStatus": SapCode,
        "DeliveryMode": SapCode,
        "PointOfService": SapPointOfService,
        "BaseSite": SapUid,
        "BaseStore": SapUid,
        "Language": SapIso,
    },
    "TidingsCart": {
        "Cart": SapCart,
        "Customer": SapUser,
        "Currency": SapIso,
        "CartEntry": SapEntry,
        "Product": SapProductRef,
        "BaseSite": SapUid,
    },
    "TidingsStockLevel": {
        "StockLevel": SapStockLevel,
        "Warehouse": SapCode,
        "InStockStatus": SapCode,
    },
    "TidingsCustomer": {
        "Customer": SapCustomer,
        "Language": SapIso,
        "Address": SapAddress,
    },
    "TidingsReturnRequest": {
        "ReturnRequest": SapReturnRequest,
        "ReturnStatus": SapCode,
        "Order": SapReturnOrder,
        "BaseSite": SapUid,
        "Currency": SapIso,
        "Customer": SapUser,
        "RefundEntry": SapReturnEntry,
        "OrderEntry": SapEntryRef,
        "Product": SapProductRef,
        "RefundReason": SapCode,
        "ReturnAction": SapCode,
    },
    "TidingsProduct": {
        "Product": SapProduct,
        "CatalogVersion": SapCatalogVersion,
        "Catalog": SapCatalog,
        "Category": SapCategory,
        "Media": SapMedia,
    },
    "TidingsOrderComment": {
        "Comment": SapOrderComment,
        "Employee": SapCommentUser,
        "Component": SapDomainRef,
        "CommentType": SapDomainRef,
        "Domain": SapCode,
        "Order": SapOrderRef,
        "BaseSite": SapUid,
    },
    "TidingsReturnRequestComment": {
        "Comment": SapReturnComment,
        "Employee": SapCommentUser,
        "Component": SapDomainRef,
        "CommentType": SapDomainRef,
        "Domain": SapCode,
        "ReturnRequest": SapReturnRef,
        "Order": SapOrderRef,
        "BaseSite": SapUid,
    },
}

# Attributes the models read when present but that plain SAP Commerce does not have: a merchant
# whose type system adds them adds the IO attribute rows too (deploy/sap-commerce/README.md).
EXTENSION_ATTRIBUTES: Final[dict[type[SapWire], frozenset[str]]] = {
    SapCustomer: frozenset({"birthday", "loyaltyPoints", "loyaltyTier", "site"}),
    SapProduct: frozenset({"replenishDays"}),
}

# The integration key is SAP's, not an attribute anyone defines.
IMPLICIT_ATTRIBUTES: Final = frozenset({"integrationKey"})


def attribute_names(model: type[SapWire]) -> frozenset[str]:
    """The IO attribute names a model reads (its aliases)."""
    return frozenset(field.alias or name for name, field in model.model_fields.items())


# ---- reading --------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """OData v2 JSON → the item JSON webhooks post: `{"results": [...]}` → list, `__deferred`
    (not expanded) → None, `__metadata` dropped."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__deferred" in value:
        return None
    if isinstance(value.get("results"), list) and set(value) <= {"results", "__count", "__next"}:
        return [plain(item) for item in value["results"]]
    return {key: plain(item) for key, item in value.items() if key != "__metadata"}


def odata_entity(body: Any) -> Any:
    """The entity (or list of entities) inside an OData v2 answer `{"d": ...}`, made plain."""
    inner = body.get("d") if isinstance(body, dict) else None
    return plain(inner)


# ---- mapping ---------------------------------------------------------------------------------------


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
        locale=language.isocode if language else "en",
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
        ],
        shipping_city=order.delivery_address.town if order.delivery_address else None,
    )


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


def params_get(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None
