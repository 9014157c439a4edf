"""Every BigCommerce status id maps to the documented stage; an unknown id is a payload error."""

import pytest

from connectors.bigcommerce.status_map import STATUS_NAMES, STATUS_STAGES, stage_for_status, status_name
from connectors.errors import WebhookPayloadError
from domain.events import OrderStage

EXPECTED = [
    (0, "Incomplete", OrderStage.INCOMPLETE),
    (1, "Pending", OrderStage.PLACED),
    (2, "Shipped", OrderStage.SHIPPED),
    (3, "Partially Shipped", OrderStage.PARTIALLY_SHIPPED),
    (4, "Refunded", OrderStage.REFUNDED),
    (5, "Cancelled", OrderStage.CANCELLED),
    (6, "Declined", OrderStage.PAYMENT_FAILED),
    (7, "Awaiting Payment", OrderStage.PLACED),
    (8, "Awaiting Pickup", OrderStage.AWAITING_PICKUP),
    (9, "Awaiting Shipment", OrderStage.AWAITING_SHIPMENT),
    (10, "Completed", OrderStage.DELIVERED),
    (11, "Awaiting Fulfillment", OrderStage.PAYMENT_CONFIRMED),
    (12, "Manual Verification Required", OrderStage.FRAUD_REVIEW),
    (13, "Disputed", OrderStage.DISPUTED),
    (14, "Partially Refunded", OrderStage.PARTIALLY_REFUNDED),
]


@pytest.mark.parametrize(("status_id", "name", "stage"), EXPECTED)
def test_each_status_id(status_id: int, name: str, stage: OrderStage) -> None:
    assert STATUS_NAMES[status_id] == name
    assert status_name(status_id) == name
    assert STATUS_STAGES[status_id] is stage
    assert stage_for_status(status_id) is stage


def test_tables_cover_exactly_the_fifteen_ids() -> None:
    assert set(STATUS_NAMES) == set(STATUS_STAGES) == set(range(15))


def test_docstring_table_matches_the_mapping() -> None:
    import connectors.bigcommerce.status_map as module

    assert module.__doc__ is not None
    for status_id, name, stage in EXPECTED:
        assert f"| {status_id:>2} | {name:<28} | `{stage.name}`" in module.__doc__


@pytest.mark.parametrize("status_id", [-1, 15, 99])
def test_unknown_status_id(status_id: int) -> None:
    with pytest.raises(WebhookPayloadError, match=f"unknown BigCommerce order status id {status_id}"):
        stage_for_status(status_id)
    with pytest.raises(WebhookPayloadError):
        status_name(status_id)
