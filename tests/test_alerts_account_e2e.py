"""Operations alerts and account messages end to end: signed BigCommerce webhooks into the ingress,
Temporal, the worker, the sandbox outbox, and the customer's answer back through the ingress into the
service desk."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served, free_port
from tests.shop import Shop, eventually

WINDOW = 6.0  # seconds: the alert window of the ingress below


@pytest.fixture(scope="module")
async def alerts_ingress(client: Client, settings: Settings, worker: None) -> AsyncIterator[Served]:
    """An ingress whose alert journeys collect for a few seconds (the starter builds the policy)."""
    seconds = settings.model_copy(
        update={"time_scale": 1.0, "alert_window_minutes": WINDOW / 60, "ingress_port": free_port()}
    )

    async def same_client() -> Client:
        return client

    async with Served(create_ingress(seconds, same_client), seconds.ingress_port) as served:
        yield served


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, alerts_ingress: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, alerts_ingress.url, WEBHOOK_SECRET, API_TOKEN)


def webhook(store_hash: str, scope: str, data: dict[str, Any]) -> dict[str, Any]:
    """A thin BigCommerce webhook; `hash` is what the connector dedupes on."""
    created = int(time.time())
    digest = hashlib.sha1(json.dumps([scope, data, created, uuid.uuid4().hex]).encode()).hexdigest()
    return {
        "scope": scope,
        "store_id": "1001",
        "data": data,
        "hash": digest,
        "created_at": created,
        "producer": f"stores/{store_hash}",
    }


def failed_payment(store_hash: str, order_id: int) -> dict[str, Any]:
    return webhook(
        store_hash,
        "store/order/transaction/created",
        {
            "order_id": str(order_id),
            "transaction_id": f"txn-{order_id}",
            "transaction_type": "capture",
            "transaction_status": "failed",
            "result": {"code": 2001, "message": "Card declined", "type": "error"},
        },
    )


async def test_fifty_failed_payments_are_one_alert_to_the_on_call_team(shop: Shop) -> None:
    answers = await asyncio.gather(*(shop.post(failed_payment(shop.store, 7000 + n)) for n in range(50)))
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers if a.status_code != 202]
    workflow_id = f"alerts:bigcommerce:{shop.store}:payment_gateway_error"
    assert {tuple(a.json()["workflow_ids"]) for a in answers} == {(workflow_id,)}

    await eventually(lambda: _sent(shop, workflow_id, 1), timeout=WINDOW * 4, what="the alert")
    await asyncio.sleep(WINDOW + 2)  # a second digest would have come by now
    [alert] = await shop.journey_messages(workflow_id + ":")
    assert alert["channel"] == "email" and alert["to"] == "ops@shop.test"
    assert alert["subject"] == f"[Tidings] Payment gateway errors: 50 in store {shop.store}"
    assert "capture failed: 2001 Card declined" in alert["body"]


async def test_a_changed_default_card_is_told_on_every_channel_and_the_answer_reaches_the_desk(
    shop: Shop, sandbox: Served
) -> None:
    phone = f"+1415555{uuid.uuid4().int % 10000:04d}"
    saved = await shop.http.put(
        f"{shop.ingress}/customers/bigcommerce/{shop.store}/91/preferences",
        json={"email": "noor@example.com", "phone": phone},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert saved.status_code == 200, saved.text
    answer = await shop.post(
        webhook(
            shop.store, "store/customer/payment/instrument/default/updated", {"type": "customer", "id": 91}
        )
    )
    assert answer.status_code == 202, answer.text
    [workflow_id] = answer.json()["workflow_ids"]
    assert workflow_id.startswith(f"account:bigcommerce:{shop.store}:91:")

    await eventually(lambda: _sent(shop, workflow_id, 2), timeout=20, what="email and SMS")
    sent = {m["channel"]: m for m in await shop.journey_messages(workflow_id + ":")}
    assert sent["email"]["to"] == "noor@example.com" and sent["sms"]["to"] == phone
    assert "Security alert" in sent["email"]["subject"] and "Reply YES or NO" in sent["sms"]["text"]

    # The thin webhook named no phone, so no conversation knows it: the reply names the message.
    replied = await shop.http.post(
        f"{sandbox.url}/sandbox/reply",
        json={"from": phone, "text": "YES", "reference": sent["sms"]["reference"]},
    )
    assert replied.status_code == 202 and replied.json()["handling"] == "routed", replied.text

    event_id = workflow_id.rsplit(":", 1)[-1]

    async def written() -> bool:
        desk = (await shop.http.get(f"{sandbox.url}/sandbox/service-desk")).json()
        return any(w["body"]["case_id"] == f"account-{event_id}" for w in desk)

    await eventually(written, timeout=20, what="the acknowledgment in the service desk")
    desk = (await shop.http.get(f"{sandbox.url}/sandbox/service-desk")).json()
    [write] = [w["body"] for w in desk if w["body"]["case_id"] == f"account-{event_id}"]
    assert (write["event"], write["text"], write["meaning"]) == ("acknowledged", "YES", "security_changed")


async def _sent(shop: Shop, workflow_id: str, n: int) -> bool:
    return len(await shop.journey_messages(workflow_id + ":")) >= n
