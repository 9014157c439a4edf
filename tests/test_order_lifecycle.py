"""End to end: signed BigCommerce webhook → ingress → Temporal → worker → sandbox outbox."""

from __future__ import annotations

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from tests.conftest import WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from workflows.order_lifecycle import OrderLifecycle, OrderStatus


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET)


async def status_of(client: Client, shop: Shop, order_id: int) -> OrderStatus:
    return await client.get_workflow_handle(shop.workflow_id(order_id)).query(OrderLifecycle.status)


async def wait_steps(shop: Shop, order_id: int, count: int, client: Client | None = None) -> list[str]:
    async def enough() -> bool:
        return len(await shop.steps(order_id)) >= count

    try:
        await eventually(enough, what=f"{count} messages for order {order_id}")
    except AssertionError as exc:  # say what did happen: the outbox and the journey's own account
        seen = await shop.steps(order_id)
        timeline = ""
        if client is not None:
            status = await status_of(client, shop, order_id)
            timeline = "\n".join(f"  {e.kind}: {e.summary}" for e in status.timeline)
        raise AssertionError(f"{exc}; outbox has {seen}; timeline:\n{timeline}") from None
    return await shop.steps(order_id)


async def wait_handled(client: Client, shop: Shop, order_id: int, events: int) -> OrderStatus:
    async def done() -> bool:
        st = await status_of(client, shop, order_id)
        handled = sum(1 for e in st.timeline if e.kind == "event") + st.duplicates_ignored
        return handled >= events and not st.busy and st.events_waiting == 0

    await eventually(done, what=f"{events} events handled for order {order_id}")
    return await status_of(client, shop, order_id)


async def test_happy_path_one_message_per_stage(shop: Shop, client: Client) -> None:
    await shop.seed(101, status=11)
    assert (await shop.created(101)).status_code == 202
    assert (await shop.status_changed(101, 9)).status_code == 202
    assert (await shop.shipped(101)).status_code == 202
    assert (await shop.status_changed(101, 10, previous=2)).status_code == 202

    steps = await wait_steps(shop, 101, 4, client)
    assert steps == ["payment_confirmed", "awaiting_shipment", "shipped", "delivered"]
    messages = await shop.messages(101)
    shipped = messages[2]
    assert shipped["channel"] == "sms" and shipped["to"] == "+14155550101"
    assert "https://track.example/101" in shipped["text"]
    assert messages[0]["channel"] == "email" and "Order #101 is confirmed" in messages[0]["subject"]

    status = await wait_handled(client, shop, 101, 4)
    assert status.stage == "delivered"
    assert status.order_value is not None and float(status.order_value) == 59.90
    assert all(m.status in ("sent", "delivered") for m in status.messages) and len(status.messages) == 4
    assert status.completes_at is not None  # the grace window after delivery is running

    query = f"OrderId = '101' AND StoreId = '{shop.store}'"
    found = {wf.workflow_type: wf.id async for wf in client.list_workflows(query)}
    assert found["OrderLifecycle"] == shop.workflow_id(101)
    # delivered: the order handed over to its review request, found by the same OrderId
    assert found["ReviewRequest"] == f"review:bigcommerce:{shop.store}:101"


async def test_duplicate_and_out_of_order_events_are_not_announced(shop: Shop, client: Client) -> None:
    await shop.seed(102, status=11)
    first = await shop.created(102)
    assert first.status_code == 202
    shipped = await shop.shipped(102)
    body = shipped.request.content
    # BigCommerce retries: the very same webhook (same hash) posted again, newly signed.
    assert (await shop.post_body(body)).status_code == 202
    # A late "awaiting shipment" after "shipped" is recorded, not announced.
    assert (await shop.post(_status_payload(shop, 102, 9))).status_code == 202

    status = await wait_handled(client, shop, 102, 4)
    assert await shop.steps(102) == ["payment_confirmed", "shipped"]
    assert status.duplicates_ignored == 1
    assert status.stage == "shipped"
    assert any("awaiting_shipment recorded, not announced" in e.summary for e in status.timeline)


def _status_payload(shop: Shop, order_id: int, new: int) -> dict[str, object]:
    from connectors.bigcommerce.simulate import order_webhook

    return order_webhook(shop.store, "store/order/statusUpdated", order_id, new_status=new, previous_status=2)


async def test_cancellation_closes_the_order_and_the_run_completes(shop: Shop, client: Client) -> None:
    await shop.seed(103, status=11)
    await shop.created(103)
    await wait_steps(shop, 103, 1)
    await shop.status_changed(103, 5)
    await wait_steps(shop, 103, 2)
    await shop.status_changed(103, 9, previous=5)  # a stray update after cancelling
    status = await wait_handled(client, shop, 103, 3)
    assert await shop.steps(103) == ["payment_confirmed", "cancelled"]
    assert status.closed and status.stage == "cancelled"

    handle = client.get_workflow_handle(shop.workflow_id(103), result_type=OrderStatus)
    result = await handle.result()  # the grace window (3 days × time scale) ends the run
    assert result.closed
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_high_value_order_alerts_the_account_team(shop: Shop, client: Client) -> None:
    await shop.seed(104, status=11, total="2450.00", currency="EUR")
    await shop.created(104)
    steps = await wait_steps(shop, 104, 2)
    assert sorted(steps) == ["ops:high_value", "payment_confirmed"]
    alert = next(m for m in await shop.messages(104) if m["reference"].endswith("ops:high_value"))
    assert alert["to"] == "accounts@example.com" and "€2,450.00" in alert["subject"]  # the account team


async def test_fraud_review_tells_customer_and_operations(shop: Shop, client: Client) -> None:
    await shop.seed(105, status=12)
    await shop.created(105)
    await wait_steps(shop, 105, 2, client)
    await shop.status_changed(105, 11, previous=12)
    steps = await wait_steps(shop, 105, 3, client)
    assert steps[:2] == ["fraud_review", "ops:fraud_review"] and steps[2] == "payment_confirmed"
    status = await wait_handled(client, shop, 105, 2)
    assert status.stage == "payment_confirmed"  # review cleared


async def test_paid_but_not_shipped_past_sla_alerts_operations_and_tells_the_customer(
    shop: Shop, client: Client
) -> None:
    await shop.seed(106, status=11)
    await shop.created(106)
    status = await wait_handled(client, shop, 106, 1)
    assert status.ship_sla_due is not None
    steps = await wait_steps(shop, 106, 3)  # 48 h × time scale later
    assert steps == ["payment_confirmed", "ops:ship_sla", "delayed"]
    messages = await shop.messages(106)
    sla = next(m for m in messages if m["reference"].endswith("ops:ship_sla"))
    assert "paid but not shipped" in sla["subject"]
    sorry = next(m for m in messages if m["reference"].endswith(":delayed"))
    assert sorry["to"] == "ada@example.com" and "running late" in sorry["subject"]
    assert "should now arrive" not in str(sorry["body"])  # BigCommerce keeps no delivery estimate


async def test_partial_refunds_are_each_announced(shop: Shop, client: Client) -> None:
    await shop.seed(107, status=2)
    await shop.created(107)
    await wait_steps(shop, 107, 1, client)
    await shop.status_changed(107, 14, previous=2)  # BigCommerce's status change for the first refund …
    await shop.refunded(107, refund_id=1, status=14)  # … and the refund itself
    await shop.refunded(107, refund_id=2, status=14)
    steps = await wait_steps(shop, 107, 3, client)
    assert steps == ["payment_confirmed", "partially_refunded:1", "partially_refunded:2"]
    status = await wait_handled(client, shop, 107, 4)
    assert status.stage == "partially_refunded"
    assert len(await shop.steps(107)) == 3
