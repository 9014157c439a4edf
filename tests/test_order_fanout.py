"""What an order read tells other journeys (activities/order_fanout.py): the buyer's lifecycle, with
what was bought, and the account team for a VIP group; nothing for a guest."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from activities.order_fanout import order_followups, vip_group
from domain.events import AlertKind, EventType, OrderStage, Platform
from domain.notifications import OrderLine, OrderSnapshot, Recipient

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def snapshot(customer_id: str | None, groups: list[str] | None = None) -> OrderSnapshot:
    return OrderSnapshot(
        platform=Platform.BIGCOMMERCE,
        store="abc",
        order_id="42",
        platform_status="Awaiting Fulfillment",
        stage=OrderStage.PAYMENT_CONFIRMED,
        customer=Recipient(customer_id=customer_id, email="kim@example.com", country="DE"),
        total=Decimal("99.50"),
        currency="EUR",
        created_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        lines=[
            OrderLine(product_id="7", name="Kettle", sku="K-7", brand="Fellow"),
            OrderLine(name="Gift wrap"),
        ],
        customer_groups=groups or [],
    )


def test_a_guest_order_tells_nobody() -> None:
    assert order_followups(snapshot(None, ["VIP"]), ["VIP"], NOW) == []


def test_the_buyers_lifecycle_hears_of_the_order_once_per_order() -> None:
    [event] = order_followups(snapshot("5"), ["VIP"], NOW)
    assert event.type is EventType.ORDER_CREATED and event.workflow_id() == "customer:bigcommerce:abc:5"
    assert event.event_id == "order:42:customer"  # the same for every read of the order
    assert event.occurred_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the order's time, not the read's
    assert event.extra["order_id"] == "42" and event.extra["order_total"] == "99.50"
    assert event.extra["products"] == ["K-7", "Gift wrap"] and event.extra["brands"] == ["Fellow"]
    assert event.extra["country"] == "DE"


def test_a_vip_groups_order_also_alerts_the_account_team() -> None:
    events = order_followups(snapshot("5", ["Wholesale", "vip", "3"]), [" VIP "], NOW)
    alert = events[-1]
    assert alert.type is EventType.OPS_ALERT and alert.alert is not None
    assert alert.alert.kind is AlertKind.VIP_PURCHASE and alert.alert.detail == "customer group vip"
    assert alert.workflow_id() == "alerts:bigcommerce:abc:vip_purchase"
    assert vip_group(["Wholesale", "3"], ["3"]) == "3"  # a group id may be configured too
    assert vip_group(["Wholesale"], ["VIP"]) is None
