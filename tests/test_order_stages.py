"""What each order event announces when the order's current status may be further along."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.events import CommerceEvent, EventType, OrderPayload, OrderStage, Platform
from workflows.order_stages import stage_of


def event(kind: EventType, told: OrderStage | None = None) -> CommerceEvent:
    return CommerceEvent(
        event_id="e",
        platform=Platform.BIGCOMMERCE,
        store="s",
        type=kind,
        occurred_at=datetime.now(UTC),
        order=OrderPayload(order_id="1", stage=told),
    )


@pytest.mark.parametrize(
    ("kind", "told", "current", "expected"),
    [
        (EventType.ORDER_CREATED, None, OrderStage.PAYMENT_CONFIRMED, OrderStage.PAYMENT_CONFIRMED),
        (EventType.ORDER_CREATED, None, OrderStage.DELIVERED, OrderStage.PAYMENT_CONFIRMED),
        (EventType.ORDER_CREATED, None, OrderStage.CANCELLED, OrderStage.PLACED),
        (EventType.ORDER_CREATED, None, OrderStage.FRAUD_REVIEW, OrderStage.FRAUD_REVIEW),
        (
            EventType.ORDER_STATUS_CHANGED,
            OrderStage.AWAITING_SHIPMENT,
            OrderStage.DELIVERED,
            OrderStage.AWAITING_SHIPMENT,
        ),
        (EventType.SHIPMENT_CREATED, None, OrderStage.DELIVERED, OrderStage.SHIPPED),
        (EventType.SHIPMENT_CREATED, None, OrderStage.PARTIALLY_SHIPPED, OrderStage.PARTIALLY_SHIPPED),
        (EventType.ORDER_REFUNDED, None, OrderStage.REFUNDED, OrderStage.REFUNDED),
        (EventType.ORDER_REFUNDED, None, OrderStage.SHIPPED, OrderStage.PARTIALLY_REFUNDED),
        (EventType.ORDER_STATUS_CHANGED, OrderStage.PARTIALLY_REFUNDED, OrderStage.PARTIALLY_REFUNDED, None),
        (EventType.ORDER_UPDATED, None, OrderStage.SHIPPED, OrderStage.SHIPPED),
    ],
    ids=[
        "created and paid",
        "created, already delivered",
        "created, already cancelled",
        "created in review",
        "a status change says what it says",
        "shipment while delivered",
        "partial shipment",
        "refund of a refunded order",
        "refund of a shipped order",
        "partial-refund status change",
        "an update takes the current status",
    ],
)
def test_stage_of(
    kind: EventType, told: OrderStage | None, current: OrderStage, expected: OrderStage | None
) -> None:
    assert stage_of(event(kind, told), current) == expected
