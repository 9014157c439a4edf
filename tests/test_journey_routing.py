"""Which journey each canonical event reaches (and starts), and the other journeys an event matters to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.events import (
    AccountPayload,
    AlertKind,
    AlertPayload,
    CommerceEvent,
    CustomerRef,
    EventType,
    OrderPayload,
    OrderStage,
    Platform,
    ProductPayload,
)
from domain.settings import Settings
from starter.journeys import _journey_start, derived_events

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def event(event_type: EventType, **payload: object) -> CommerceEvent:
    return CommerceEvent.model_validate(
        {
            "event_id": "e1",
            "platform": Platform.SFCC,
            "store": "RefArch",
            "type": event_type,
            "occurred_at": AT,
        }
        | payload
    )


@pytest.mark.parametrize(
    ("incoming", "workflow_id", "journey"),
    [
        (
            event(EventType.INVENTORY_CHANGED, product=ProductPayload(sku="ESP-1", available=4)),
            "product:sfcc:RefArch:ESP-1",
            "ProductWatch",
        ),
        (
            event(EventType.OPS_ALERT, alert=AlertPayload(kind=AlertKind.CHECKOUT_FAILED, key="checkout")),
            "alerts:sfcc:RefArch:checkout",
            "OpsAlerts",
        ),
        (
            event(EventType.PASSWORD_RESET, account=AccountPayload(customer_id="42")),
            "account:sfcc:RefArch:42:e1",
            "AccountMessage",
        ),
        (
            event(EventType.POINTS_EARNED, account=AccountPayload(customer_id="42", points=10)),
            "customer:sfcc:RefArch:42",
            "CustomerLifecycle",
        ),
        (
            event(EventType.ORDER_CREATED, order=OrderPayload(order_id="7")),
            "order:sfcc:RefArch:7",
            "OrderLifecycle",
        ),
    ],
)
def test_each_kind_of_event_starts_its_journey(
    incoming: CommerceEvent, workflow_id: str, journey: str
) -> None:
    assert incoming.workflow_id() == workflow_id
    start = _journey_start(Settings(), incoming)
    assert start is not None
    run, _ = start
    assert run.__qualname__ == f"{journey}.run"


def test_a_new_order_also_reaches_its_customers_lifecycle_with_the_order_named() -> None:
    created = event(
        EventType.ORDER_CREATED, order=OrderPayload(order_id="7"), customer=CustomerRef(customer_id="42")
    )
    [customer] = derived_events(created)
    assert customer.workflow_id() == "customer:sfcc:RefArch:42"
    assert customer.event_id == "e1:customer" and customer.extra["order_id"] == "7"


def test_a_cancellation_is_counted_by_the_stores_cancellation_alert() -> None:
    cancelled = event(
        EventType.ORDER_STATUS_CHANGED, order=OrderPayload(order_id="7", stage=OrderStage.CANCELLED)
    )
    [alert] = derived_events(cancelled)
    assert alert.type is EventType.OPS_ALERT and alert.workflow_id() == "alerts:sfcc:RefArch:cancellation"
    assert alert.alert is not None and alert.alert.order_id == "7"
    # the same cancellation reported again under another event id is the same alert event
    again = cancelled.model_copy(update={"event_id": "e2"})
    assert derived_events(again)[0].event_id == alert.event_id


def test_other_events_reach_only_their_own_journey() -> None:
    shipped = event(
        EventType.ORDER_STATUS_CHANGED, order=OrderPayload(order_id="7", stage=OrderStage.SHIPPED)
    )
    guest = event(EventType.ORDER_CREATED, order=OrderPayload(order_id="8"))
    assert derived_events(shipped) == [] and derived_events(guest) == []
