"""The order journey's hand-overs, end to end through signed BigCommerce webhooks: click-and-collect
(ready, reminders, "HERE" with the bay by SMS reply, collected or expired with cancel-and-restock on the
platform) and the review request with its reminder and the reorder reminder for consumables."""

from __future__ import annotations

import uuid

import httpx
import pytest
from temporalio.client import Client

from domain.events import pickup_workflow_id, review_workflow_id
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from workflows.pickup import Pickup, PickupStatus
from workflows.review_request import ReviewRequest, ReviewStatus


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, fast_ingress: Served, ingress: Served) -> Shop:
    # replies reach the ingress the sandbox calls back: the main one
    return Shop(http, sandbox.url, fast_ingress.url, WEBHOOK_SECRET, API_TOKEN)


def steps(messages: list[dict[str, object]], prefix: str) -> list[str]:
    return [str(m["reference"])[len(prefix) + 1 :] for m in messages]


async def ready_for_pickup(shop: Shop, order_id: int, phone: str = "+14155550101") -> str:
    await shop.seed(order_id, status=11, phone=phone)
    await shop.created(order_id)
    await eventually(lambda: _messages(shop, shop.workflow_id(order_id), 1), what="order confirmation")
    await shop.status_changed(order_id, 8)
    prefix = pickup_workflow_id("bigcommerce", shop.store, str(order_id))
    await eventually(lambda: _messages(shop, prefix, 1), what="ready for pickup")
    return prefix


async def _messages(shop: Shop, prefix: str, n: int) -> bool:
    return len(await shop.journey_messages(prefix + ":")) >= n


async def pickup_status(client: Client, workflow_id: str) -> PickupStatus:
    return await client.get_workflow_handle(workflow_id).query(Pickup.status)


async def test_an_uncollected_pickup_expires_and_the_platform_cancels_and_restocks(
    shop: Shop, client: Client, http: httpx.AsyncClient, sandbox: Served
) -> None:
    prefix = await ready_for_pickup(shop, 401)
    [ready] = await shop.journey_messages(prefix + ":")
    assert ready["channel"] == "sms" and "ready for pickup" in str(ready["text"])

    result = await client.get_workflow_handle(prefix, result_type=PickupStatus).result()
    assert result.state == "expired"
    sent = steps(await shop.journey_messages(prefix + ":"), prefix)
    assert sent == ["ready", "reminder:1", "reminder:2", "expired", "ops:pickup_expired"]
    alert = (await shop.journey_messages(prefix + ":ops:"))[0]
    assert alert["to"] == "store@example.com"
    writes = (await http.get(f"{sandbox.url}/sandbox/bigcommerce/writes")).json()
    cancel = [w for w in writes if w.get("store_hash") == shop.store and str(w.get("order_id")) == "401"]
    assert (
        cancel
        and cancel[-1]["body"]["status_id"] == 5
        and "not collected" in cancel[-1]["body"]["staff_notes"]
    )
    assert result.platform_callback and "cancelled" in result.platform_callback
    order = await shop.http.get(
        f"{sandbox.url}/stores/{shop.store}/v2/orders/401", headers={"X-Auth-Token": "t"}
    )
    assert order.json()["status_id"] == 5


async def test_here_by_sms_reply_alerts_the_store_with_the_bay_and_collection_says_thanks(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    # the main ingress's time scale: five days to collect are 43 s, room for a loaded machine
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    phone = f"+1415555{uuid.uuid4().int % 10000:04d}"  # nobody else's conversation: the reply finds this one
    prefix = await ready_for_pickup(shop, 402, phone=phone)
    # the customer answers the "ready" SMS; OpenText posts the reply to the inbound callback
    replied = await http.post(
        f"{sandbox.url}/sandbox/reply", json={"from": phone, "text": "Here, bay 4 red Golf"}
    )
    assert replied.status_code == 202 and replied.json()["handling"] == "routed"
    await eventually(lambda: _messages(shop, prefix + ":ops", 1), what="the store team alert")
    alert = (await shop.journey_messages(prefix + ":ops:"))[0]
    said = str(alert["body"] or alert["text"])
    assert "here to collect order #402" in said and "Bay/car: bay 4 red Golf" in said
    await eventually(lambda: _messages(shop, prefix + ":arrival_ack", 1), what="the acknowledgment")
    [ack] = await shop.journey_messages(prefix + ":arrival_ack")
    assert ack["to"] == phone and "bringing order #402 out" in str(ack["text"])

    await shop.status_changed(402, 10, previous=8)  # collected: BigCommerce marks it Completed
    result = await client.get_workflow_handle(prefix, result_type=PickupStatus).result()
    assert result.state == "collected" and result.customer_arrived_at is not None
    assert result.arrival_details == "bay 4 red Golf"
    assert steps(await shop.journey_messages(prefix + ":"), prefix)[-1] == "collected"
    # the order journey leaves the thanks to the pickup journey
    assert "delivered" not in await shop.steps(402)


async def test_a_delivered_order_gets_its_review_request_a_reminder_and_a_reorder_reminder(
    shop: Shop, client: Client
) -> None:
    await shop.seed_product(21, category="Apparel", replenish_days=3)
    await shop.seed(403, status=11, customer_id=31, product_id=21)
    await shop.opt_in(31, "email")
    await shop.created(403)
    await shop.status_changed(403, 10)
    prefix = review_workflow_id("bigcommerce", shop.store, "403")
    await eventually(lambda: _journey_started(client, prefix), what="the review journey")

    async def products_read() -> bool:  # the journey reads the catalog first thing
        return bool((await client.get_workflow_handle(prefix).query(ReviewRequest.status)).products)

    await eventually(products_read, what="the review journey's catalog read")
    status = await client.get_workflow_handle(prefix).query(ReviewRequest.status)
    assert status.products[0].categories == ["Apparel"] and status.review_due is not None

    result = await client.get_workflow_handle(prefix, result_type=ReviewStatus).result()
    assert steps(await shop.journey_messages(prefix + ":"), prefix) == ["request", "reminder", "reorder"]
    request = (await shop.journey_messages(prefix + ":request"))[0]
    assert "https://store.example/mug/#write_review" in str(request["body"])
    reorder = (await shop.journey_messages(prefix + ":reorder"))[0]
    assert "cart.php?action=add&product_id=21&qty=2" in str(reorder["body"])
    assert result.state == "done"


async def _journey_started(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except Exception:
        return False
    return True


async def test_a_refund_before_the_review_request_cancels_it(shop: Shop, client: Client) -> None:
    await shop.seed(404, status=11, customer_id=32)
    await shop.opt_in(32, "email")
    await shop.created(404)
    await shop.status_changed(404, 10)
    prefix = review_workflow_id("bigcommerce", shop.store, "404")
    await eventually(lambda: _journey_started(client, prefix), what="the review journey")
    await shop.refunded(404, refund_id=1, status=4)
    result = await client.get_workflow_handle(prefix, result_type=ReviewStatus).result()
    assert result.state == "cancelled" and "refunded" in (result.reason or "")
    assert await shop.journey_messages(prefix + ":") == []
