"""Salesforce Order Management platform events on /webhooks/sfcc (connectors/sfcc/oms.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import WebhookPayloadError
from connectors.sfcc import parse_webhook, peek_site_id
from connectors.sfcc.simulate import body_of, envelope, oms_event, order_document
from domain.events import CommerceEvent, EventType, OrderStage

SITE = "RefArch"
SUMMARY = "1Os5g000000bXyZCAU"


def status_changed(old: str, new: str, **extra: Any) -> dict[str, Any]:
    return {"OrderSummaryId": SUMMARY, "OldStatus": old, "NewStatus": new, **extra}


def parse_one(raw: dict[str, Any]) -> CommerceEvent:
    parsed = parse_webhook(body_of(raw))
    assert parsed.ignored is None and len(parsed.events) == 1
    return parsed.events[0]


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming-api", "apex-serialized"])
def test_a_status_change_joins_the_order_journey_of_the_envelope_events(streaming: bool) -> None:
    payload = status_changed("Created", "Approved", OrderNumber="00001234", EventUuid="5a8e6b1f-evt")
    event = parse_one(oms_event("OrderSumStatusChangedEvent", SITE, payload, streaming=streaming))
    assert event.type is EventType.ORDER_STATUS_CHANGED and event.order is not None
    assert (event.order.order_id, event.order.stage, event.order.previous_stage) == (
        "00001234",
        OrderStage.PAYMENT_CONFIRMED,
        OrderStage.PLACED,
    )
    assert event.order.platform_status == "OrderSummary Approved"
    assert (event.event_id, event.store, event.raw_scope) == (
        "5a8e6b1f-evt",
        SITE,
        "OrderSumStatusChangedEvent",
    )
    assert event.extra["order_summary_id"] == SUMMARY
    created = parse_webhook(body_of(envelope("order.created", SITE, order_document("00001234")))).events[0]
    assert event.workflow_id() == created.workflow_id()


def test_the_relay_may_add_the_order_number_beside_the_event() -> None:
    raw = oms_event("OrderSumStatusChangedEvent", SITE, status_changed("Approved", "Fulfilled"))
    raw["OrderNumber"] = "00001234"
    event = parse_one(raw)
    assert event.order is not None and (event.order.order_id, event.order.stage) == (
        "00001234",
        OrderStage.SHIPPED,
    )


def test_without_an_order_number_the_order_summary_id_is_the_key() -> None:
    event = parse_one(oms_event("OrderSumStatusChangedEvent", SITE, status_changed("Approved", "Cancelled")))
    assert event.order is not None and event.order.order_id == SUMMARY
    assert event.workflow_id() == f"order:sfcc:{SITE}:{SUMMARY}"


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        ("Created", OrderStage.PLACED),
        ("Approved", OrderStage.PAYMENT_CONFIRMED),
        ("Partially Fulfilled", OrderStage.PARTIALLY_SHIPPED),
        ("Fulfilled", OrderStage.SHIPPED),
        ("Cancelled", OrderStage.CANCELLED),
        ("Canceled", OrderStage.CANCELLED),
        ("On Hold", OrderStage.ON_HOLD),
        ("ON_HOLD", OrderStage.ON_HOLD),
        # Reads differently for a pickup: hydration decides from the order's own statuses.
        ("Waiting to Fulfill", None),
        ("Awaiting Fraud Check", None),
    ],
)
def test_order_summary_statuses(status: str, stage: OrderStage | None) -> None:
    payload = status_changed("Created", status, OrderNumber="00001234")
    event = parse_one(oms_event("OrderSumStatusChangedEvent", SITE, payload))
    assert event.order is not None and event.order.stage is stage


def test_a_created_summary_is_an_order_created_whose_stage_hydration_reads() -> None:
    payload = {"OrderSummaryId": SUMMARY, "OrderId": "801000000000001", "OrderNumber": "00001234"}
    event = parse_one(oms_event("OrderSummaryCreatedEvent", SITE, payload))
    assert event.type is EventType.ORDER_CREATED
    assert event.order is not None and (event.order.order_id, event.order.stage) == ("00001234", None)


def test_a_fulfilled_fulfillment_order_is_a_shipment() -> None:
    payload = {
        "FulfillmentOrderId": "0a3000000000001",
        "OrderSummaryId": SUMMARY,
        "OrderNumber": "00001234",
        "OldStatus": "Pick Complete",
        "NewStatus": "Fulfilled",
        "NewStatusCategory": "Closed",
    }
    event = parse_one(oms_event("FOStatusChangedEvent", SITE, payload))
    assert event.type is EventType.SHIPMENT_CREATED and event.order is not None
    assert (event.order.order_id, event.order.shipment_id) == ("00001234", "0a3000000000001")
    assert event.extra["fulfillment_order_id"] == "0a3000000000001"


def test_fulfillment_progress_is_recorded_as_an_order_update() -> None:
    payload = {
        "FulfillmentOrderId": "0a3000000000001",
        "OrderSummaryId": SUMMARY,
        "OrderNumber": "00001234",
        "NewStatus": "Allocated",
    }
    event = parse_one(oms_event("FOStatusChangedEvent", SITE, payload))
    assert event.type is EventType.ORDER_UPDATED and event.order is not None
    assert (event.order.stage, event.order.platform_status) == (None, "FulfillmentOrder Allocated")


@pytest.mark.parametrize(
    ("status", "category"), [("Canceled", "Canceled"), ("Rejected", "Rejected"), ("Draft", None)]
)
def test_cancelled_or_rejected_fulfillment_orders_are_ignored(status: str, category: str | None) -> None:
    payload = {"FulfillmentOrderId": "0a3000000000001", "OrderSummaryId": SUMMARY, "NewStatus": status}
    if category:
        payload["NewStatusCategory"] = category
    parsed = parse_webhook(body_of(oms_event("FOStatusChangedEvent", SITE, payload)))
    assert parsed.events == [] and parsed.ignored is not None and "re-routes" in parsed.ignored


def test_other_platform_events_are_ignored() -> None:
    payload = {"AttachedToId": SUMMARY, "Message": "Payment capture failed", "Severity": "High"}
    parsed = parse_webhook(body_of(oms_event("ProcessExceptionEvent", SITE, payload)))
    assert parsed.events == [] and parsed.ignored == "platform event ProcessExceptionEvent is not handled"


def test_the_event_id_falls_back_to_the_replay_id_then_to_a_digest() -> None:
    raw = oms_event("OrderSumStatusChangedEvent", SITE, status_changed("Created", "Approved"), replay_id=4711)
    del raw["data"]["payload"]["EventUuid"]
    assert parse_one(raw).event_id == "OrderSumStatusChangedEvent:4711"
    flat = oms_event(
        "OrderSumStatusChangedEvent", SITE, status_changed("Created", "Approved"), streaming=False
    )
    del flat["EventUuid"]
    first, again = parse_one(flat).event_id, parse_one(dict(flat)).event_id
    assert first == again and first.startswith("OrderSumStatusChangedEvent:")


def test_salesforce_timestamps_are_read() -> None:
    payload = status_changed("Created", "Approved", CreatedDate="2026-11-23T09:00:00.000+0000")
    event = parse_one(oms_event("OrderSumStatusChangedEvent", SITE, payload))
    assert event.occurred_at == datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: raw.pop("site_id"), "$.site_id is missing"),
        (lambda raw: raw.update(site_id="a/b"), "$.site_id: String should match pattern"),
        (lambda raw: raw["data"].pop("payload"), "$.data.payload"),
        (lambda raw: raw["data"]["payload"].pop("NewStatus"), "$.data.payload.NewStatus is missing"),
        (lambda raw: raw["data"]["payload"].pop("OrderSummaryId"), "needs OrderNumber (added by the relay)"),
    ],
)
def test_malformed_platform_events_name_the_problem(mutate: Any, message: str) -> None:
    raw = oms_event("OrderSumStatusChangedEvent", SITE, status_changed("Created", "Approved"))
    mutate(raw)
    with pytest.raises(WebhookPayloadError) as error:
        parse_webhook(body_of(raw))
    assert message in str(error.value)


def test_the_ingress_can_pick_the_sites_secret_for_a_platform_event() -> None:
    raw = oms_event("OrderSumStatusChangedEvent", "RefArch-EU", status_changed("Created", "Approved"))
    assert peek_site_id(body_of(raw)) == "RefArch-EU"
