"""Delivery end to end through the sandbox: STOP and START replies across journeys, receipts that
reach the ledger and the journey's status, an invalid number falling back to email, and the
preferences API."""

from __future__ import annotations

import httpx
import pytest
from temporalio.client import Client

from domain.notifications import MessageStatus
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from workflows.order_lifecycle import OrderLifecycle, OrderStatus


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET)


@pytest.fixture
async def stores(settings: Settings) -> Stores:
    return await Stores.open(settings.database_url)


async def order_status(client: Client, shop: Shop, order_id: int) -> OrderStatus:
    return await client.get_workflow_handle(shop.workflow_id(order_id)).query(OrderLifecycle.status)


async def outbox_to(http: httpx.AsyncClient, sandbox: Served, to: str) -> list[dict[str, object]]:
    return [m for m in (await http.get(f"{sandbox.url}/sandbox/messages")).json() if m["to"] == to]


async def reply(http: httpx.AsyncClient, sandbox: Served, sender: str, text: str) -> httpx.Response:
    return await http.post(f"{sandbox.url}/sandbox/reply", json={"from": sender, "text": text})


async def test_stop_suppresses_sms_in_every_journey_and_start_restores_it(
    shop: Shop, http: httpx.AsyncClient, sandbox: Served, client: Client
) -> None:
    phone = "+14155550177"
    await shop.seed(301, status=11, phone=phone)
    await shop.created(301)
    await eventually(lambda: _count(shop, 301, 1), what="confirmation")

    stopped = await reply(http, sandbox, phone, "Stop")
    assert stopped.status_code == 202 and stopped.json()["handling"] == "opted_out"

    async def confirmed(word: str) -> bool:
        return any(word in str(m.get("text")) for m in await outbox_to(http, sandbox, phone))

    await eventually(lambda: confirmed("unsubscribed"), what="the STOP confirmation")

    await shop.shipped(301)  # shipped goes SMS first: now it must fall back to email
    await eventually(lambda: _count(shop, 301, 2), what="the shipped message")
    shipped = (await shop.messages(301))[-1]
    assert shipped["channel"] == "email"
    status = await order_status(client, shop, 301)
    assert "sms opted out (sms STOP)" in (status.messages[-1].reason or "")

    started = await reply(http, sandbox, phone, "START")
    assert started.status_code == 202 and started.json()["handling"] == "opted_in"
    await eventually(lambda: confirmed("Welcome back"), what="the START confirmation")
    await shop.status_changed(301, 10, previous=2)
    await eventually(lambda: _count(shop, 301, 3), what="the delivered message")
    assert (await shop.messages(301))[-1]["channel"] == "sms"


async def _count(shop: Shop, order_id: int, n: int) -> bool:
    return len(await shop.messages(order_id)) >= n


async def test_receipts_reach_the_ledger_and_the_journey(shop: Shop, client: Client, stores: Stores) -> None:
    await shop.seed(302, status=11)
    await shop.created(302)

    async def delivered() -> bool:
        status = await order_status(client, shop, 302)
        return bool(status.messages) and status.messages[0].status is MessageStatus.DELIVERED

    await eventually(delivered, what="the delivery receipt in the workflow")
    row = await stores.ledger.get(f"{shop.workflow_id(302)}:payment_confirmed")
    assert row is not None and row.status == "sent" and row.delivery == "delivered"
    status = await order_status(client, shop, 302)
    assert any(e.kind == "receipt" and "delivered" in e.summary for e in status.timeline)


async def test_an_invalid_phone_number_falls_back_to_email_and_the_ledger_says_why(
    shop: Shop, client: Client, stores: Stores
) -> None:
    await shop.seed(303, status=2, phone="+1 555 0100")
    await shop.created(303)
    await shop.shipped(303)
    await eventually(lambda: _count(shop, 303, 2), what="two messages")
    shipped = (await shop.messages(303))[-1]
    assert shipped["channel"] == "email" and shipped["to"] == "ada@example.com"
    row = await stores.ledger.get(f"{shop.workflow_id(303)}:shipped")
    assert row is not None and row.channel == "email"
    assert row.reason is not None and "invalid phone number" in row.reason


async def test_preferences_api(http: httpx.AsyncClient, ingress: Served) -> None:
    url = f"{ingress.url}/customers/bigcommerce/s1/42/preferences"
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    assert (await http.get(url)).status_code == 401
    assert (await http.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await http.get(url, headers=auth)).status_code == 404
    body = {
        "email": "ada@example.com",
        "phone": "(415) 555-0101",
        "marketing_opt_in": ["sms"],
        "locale": "de",
        "time_zone": "Europe/Berlin",
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    }
    saved = await http.put(url, json=body, headers=auth)
    assert saved.status_code == 200 and saved.json()["phone"] == "+14155550101"
    got = (await http.get(url, headers=auth)).json()
    assert got["marketing_opt_in"] == ["sms"] and got["quiet_hours"] == {
        "start": "22:00:00",
        "end": "07:00:00",
    }
    bad_phone = await http.put(url, json={**body, "phone": "12"}, headers=auth)
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()["error"]
    bad_zone = await http.put(url, json={**body, "time_zone": "Mars/Olympus"}, headers=auth)
    assert bad_zone.status_code == 422 and "unknown time zone" in bad_zone.text
    bad_platform = await http.get(f"{ingress.url}/customers/shopify/s1/42/preferences", headers=auth)
    assert bad_platform.status_code == 422
