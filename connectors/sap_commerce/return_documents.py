"""`TidingsReturnRequest`: return requests (service cases) with their order and entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

from connectors.sap_commerce.item_json import (
    Code,
    SapCode,
    SapDate,
    SapIso,
    SapProductRef,
    SapUid,
    SapUser,
    SapWire,
    none_to_list,
)
from connectors.wire import Text


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
