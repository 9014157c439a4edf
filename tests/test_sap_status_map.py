"""SAP Commerce status tables: every documented row, the reference's full enum lists, and the rules
that combine an order's status with its consignments'."""

from __future__ import annotations

import re

import pytest

import connectors.sap_commerce.status_map as module
from connectors.errors import WebhookPayloadError
from connectors.sap_commerce.status_map import (
    CONSIGNMENT_STATUS_STAGES,
    OPEN_RETURN_STATUSES,
    ORDER_STATUS_STAGES,
    REFUNDED_RETURN_STATUSES,
    RETURN_STATUS_CASES,
    consignment_stage,
    order_stage,
    order_status_stage,
    return_status_case,
)
from domain.events import EventType, OrderStage

# The enum values docs/reference lists (reference/commerce-platforms.md): the tables cover exactly these.
REFERENCE_ORDER_STATUSES = (
    "CREATED, ON_VALIDATION, COMPLETED, CANCELLED, CANCELLING, SUSPENDED, CHECKED_VALID, CHECKED_INVALID, "
    "PAYMENT_AUTHORIZED, PAYMENT_NOT_AUTHORIZED, PAYMENT_AMOUNT_RESERVED, PAYMENT_AMOUNT_NOT_RESERVED, "
    "PAYMENT_CAPTURED, PAYMENT_NOT_CAPTURED, FRAUD_CHECKED, ORDER_SPLIT, PROCESSING_ERROR, "
    "WAIT_FRAUD_MANUAL_CHECK"
)
REFERENCE_CONSIGNMENT_STATUSES = (
    "WAITING, PICKPACK, READY, SHIPPED, CANCELLED, READY_FOR_PICKUP, PICKUP_COMPLETE, IN_TRANSIT, "
    "DELIVERING, DELIVERY_COMPLETED, DELIVERY_REJECTED"
)

ORDER_ROWS = [
    ("CREATED", OrderStage.PLACED),
    ("ON_VALIDATION", OrderStage.PLACED),
    ("CHECKED_VALID", OrderStage.PAYMENT_CONFIRMED),
    ("PAYMENT_AUTHORIZED", OrderStage.PAYMENT_CONFIRMED),
    ("PAYMENT_AMOUNT_RESERVED", OrderStage.PAYMENT_CONFIRMED),
    ("PAYMENT_CAPTURED", OrderStage.PAYMENT_CONFIRMED),
    ("FRAUD_CHECKED", OrderStage.PAYMENT_CONFIRMED),
    ("ORDER_SPLIT", OrderStage.AWAITING_SHIPMENT),
    ("COMPLETED", OrderStage.DELIVERED),
    ("WAIT_FRAUD_MANUAL_CHECK", OrderStage.FRAUD_REVIEW),
    ("PAYMENT_NOT_AUTHORIZED", OrderStage.PAYMENT_FAILED),
    ("PAYMENT_AMOUNT_NOT_RESERVED", OrderStage.PAYMENT_FAILED),
    ("PAYMENT_NOT_CAPTURED", OrderStage.PAYMENT_FAILED),
    ("SUSPENDED", OrderStage.ON_HOLD),
    ("CHECKED_INVALID", OrderStage.ON_HOLD),
    ("PROCESSING_ERROR", OrderStage.ON_HOLD),
    ("CANCELLING", OrderStage.CANCELLED),
    ("CANCELLED", OrderStage.CANCELLED),
]

CONSIGNMENT_ROWS = [
    ("WAITING", OrderStage.AWAITING_SHIPMENT),
    ("PICKPACK", OrderStage.AWAITING_SHIPMENT),
    ("READY", OrderStage.AWAITING_SHIPMENT),
    ("READY_FOR_PICKUP", OrderStage.AWAITING_PICKUP),
    ("SHIPPED", OrderStage.SHIPPED),
    ("IN_TRANSIT", OrderStage.SHIPPED),
    ("DELIVERING", OrderStage.OUT_FOR_DELIVERY),
    ("DELIVERY_COMPLETED", OrderStage.DELIVERED),
    ("PICKUP_COMPLETE", OrderStage.DELIVERED),
    ("DELIVERY_REJECTED", OrderStage.RETURNED_TO_SENDER),
    ("CANCELLED", OrderStage.CANCELLED),
]

RETURN_ROWS = [
    ("APPROVAL_PENDING", EventType.CASE_OPENED, "return_requested", False),
    ("APPROVING", EventType.CASE_UPDATED, "approving", False),
    ("WAIT", EventType.CASE_UPDATED, "approved", False),
    ("RECEIVING", EventType.CASE_UPDATED, "goods_arriving", False),
    ("RECEIVED", EventType.CASE_UPDATED, "goods_received", False),
    ("REVERSING_PAYMENT", EventType.CASE_UPDATED, "refund_pending", False),
    ("PAYMENT_REVERSAL_FAILED", EventType.CASE_UPDATED, "refund_failed", False),
    ("PAYMENT_REVERSED", EventType.CASE_UPDATED, "refund_issued", True),
    ("REVERSING_TAX", EventType.CASE_UPDATED, "tax_reversing", True),
    ("TAX_REVERSED", EventType.CASE_UPDATED, "tax_reversed", True),
    ("TAX_REVERSAL_FAILED", EventType.CASE_UPDATED, "tax_reversal_failed", True),
    ("CANCELLING", EventType.CASE_UPDATED, "cancelling", False),
    ("COMPLETED", EventType.CASE_CLOSED, "resolved", True),
    ("CANCELED", EventType.CASE_CLOSED, "cancelled", False),
]


def _doc_row(*cells: str) -> re.Pattern[str]:
    """A row of a docstring table: the cells in order, whatever the padding."""
    return re.compile(r"^\|\s*" + r"\s*\|\s*".join(re.escape(c) for c in cells) + r"\s*\|", re.M)


@pytest.mark.parametrize(("status", "stage"), ORDER_ROWS)
def test_order_status_row(status: str, stage: OrderStage) -> None:
    assert ORDER_STATUS_STAGES[status] is stage
    # Without consignments the order's own status is the stage.
    assert order_stage(status) is stage
    assert module.__doc__ is not None and _doc_row(status, f"`{stage.name}`").search(module.__doc__)


@pytest.mark.parametrize(("status", "stage"), CONSIGNMENT_ROWS)
def test_consignment_status_row(status: str, stage: OrderStage) -> None:
    assert CONSIGNMENT_STATUS_STAGES[status] is stage
    assert module.__doc__ is not None and _doc_row(status, f"`{stage.name}`").search(module.__doc__)
    if status == "CANCELLED":
        # A cancelled consignment is left out: the order's own status decides.
        assert consignment_stage([status]) is None
        assert order_stage("PAYMENT_CAPTURED", [status]) is OrderStage.PAYMENT_CONFIRMED
    else:
        # One consignment of a paid order: the consignment tells where the order is.
        assert consignment_stage([status]) is stage
        assert order_stage("PAYMENT_CAPTURED", [status]) is stage


@pytest.mark.parametrize(("status", "event", "detail", "refunded"), RETURN_ROWS)
def test_return_status_row(status: str, event: EventType, detail: str, refunded: bool) -> None:
    assert return_status_case(status) == (event, detail)
    assert (status in REFUNDED_RETURN_STATUSES) is refunded
    assert module.__doc__ is not None
    assert _doc_row(status, f"`{event.name}`", detail, "yes" if refunded else "").search(module.__doc__)


def test_tables_cover_exactly_the_reference_enums() -> None:
    assert set(ORDER_STATUS_STAGES) == set(REFERENCE_ORDER_STATUSES.split(", "))
    assert set(CONSIGNMENT_STATUS_STAGES) == set(REFERENCE_CONSIGNMENT_STATUSES.split(", "))
    assert {row[0] for row in ORDER_ROWS} == set(ORDER_STATUS_STAGES)
    assert {row[0] for row in CONSIGNMENT_ROWS} == set(CONSIGNMENT_STATUS_STAGES)
    assert {row[0] for row in RETURN_ROWS} == set(RETURN_STATUS_CASES)
    assert OPEN_RETURN_STATUSES <= set(RETURN_STATUS_CASES)
    assert not OPEN_RETURN_STATUSES & REFUNDED_RETURN_STATUSES


@pytest.mark.parametrize(
    ("status", "consignments", "stage"),
    [
        # Consignments take precedence when further along.
        ("ORDER_SPLIT", ["WAITING"], OrderStage.AWAITING_SHIPMENT),
        ("ORDER_SPLIT", ["READY_FOR_PICKUP"], OrderStage.AWAITING_PICKUP),
        ("PAYMENT_CAPTURED", ["IN_TRANSIT"], OrderStage.SHIPPED),
        # ... and never pull a further order back.
        ("COMPLETED", ["SHIPPED"], OrderStage.DELIVERED),
        # Some shipped, some not: partially shipped; all shipped: the least advanced of them.
        ("ORDER_SPLIT", ["SHIPPED", "PICKPACK"], OrderStage.PARTIALLY_SHIPPED),
        ("ORDER_SPLIT", ["PICKUP_COMPLETE", "WAITING"], OrderStage.PARTIALLY_SHIPPED),
        ("ORDER_SPLIT", ["DELIVERY_COMPLETED", "DELIVERING"], OrderStage.OUT_FOR_DELIVERY),
        ("ORDER_SPLIT", ["DELIVERY_COMPLETED", "PICKUP_COMPLETE"], OrderStage.DELIVERED),
        # A cancelled consignment does not hold the others back.
        ("ORDER_SPLIT", ["CANCELLED", "SHIPPED"], OrderStage.SHIPPED),
        # Waiting in a store beats waiting in a warehouse while nothing is shipped.
        ("ORDER_SPLIT", ["READY_FOR_PICKUP", "WAITING"], OrderStage.AWAITING_PICKUP),
        # A refused parcel is told as coming back, whatever the others did.
        ("COMPLETED", ["DELIVERY_COMPLETED", "DELIVERY_REJECTED"], OrderStage.RETURNED_TO_SENDER),
        # The order's closing and exception statuses decide.
        ("CANCELLED", ["SHIPPED"], OrderStage.CANCELLED),
        ("SUSPENDED", ["SHIPPED"], OrderStage.ON_HOLD),
        ("WAIT_FRAUD_MANUAL_CHECK", ["WAITING"], OrderStage.FRAUD_REVIEW),
    ],
)
def test_combination_rules(status: str, consignments: list[str], stage: OrderStage) -> None:
    assert order_stage(status, consignments) is stage


def test_unknown_values_are_payload_errors_naming_the_field() -> None:
    with pytest.raises(WebhookPayloadError, match=r"status\.code: unknown SAP OrderStatus 'SHIPPING'"):
        order_status_stage("SHIPPING")
    with pytest.raises(WebhookPayloadError, match="unknown SAP ConsignmentStatus 'LOST'"):
        order_stage("ORDER_SPLIT", ["SHIPPED", "LOST"])
    with pytest.raises(WebhookPayloadError, match="unknown SAP ReturnStatus 'PENDING'"):
        return_status_case("PENDING")
