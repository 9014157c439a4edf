"""`TidingsOrder` and `TidingsCart`: orders with their consignments, and carts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

from connectors.sap_commerce.item_json import (
    Code,
    Entries,
    SapAddress,
    SapCode,
    SapDate,
    SapIso,
    SapUid,
    SapUser,
    SapWire,
    none_to_list,
)
from connectors.wire import Text


class SapOrderUser(SapUser):
    """The order's customer with their user groups (`groups`: VIP alerts match on the group uid)."""

    groups: Annotated[list[SapUid], BeforeValidator(none_to_list)] = Field(default_factory=list)


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


class SapOrder(SapWire):
    """`TidingsOrder` (root item `Order`)."""

    code: Code
    status: SapCode
    user: SapOrderUser | None = None
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
