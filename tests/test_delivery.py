"""The delivery activity against the sandbox: exactly once per key, channel fallback, classified
failures, and a ledger row for every message (addresses hashed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliveryActivities
from activities.rendering import Renderer
from connectors.opentext.auth import TokenProvider
from connectors.opentext.client import OpenTextClient
from connectors.sandbox.app import create_app
from domain.notifications import Category, Channel, MessageRequest, MessageStatus, Recipient
from store.ledger import hash_address
from store.stores import Stores

SANDBOX = "http://sandbox.test"


@pytest.fixture
async def sandbox_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url=SANDBOX) as http:
        yield http


@pytest.fixture
async def delivery(sandbox_http: httpx.AsyncClient, tmp_path: Path) -> AsyncIterator[DeliveryActivities]:
    stores = await Stores.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    tokens = TokenProvider(
        sandbox_http, token_url=f"{SANDBOX}/tenants/t/oauth2/token", client_id="id", client_secret="secret"
    )
    opentext = OpenTextClient(sandbox_http, f"{SANDBOX}/mra/v1", tokens)
    yield DeliveryActivities(opentext, stores, Renderer(), from_name="Test Shop")
    await stores.close()


def request(
    key: str,
    *,
    email: str | None = "ada@example.com",
    phone: str | None = "+14155550101",
    channels: list[Channel] | None = None,
) -> MessageRequest:
    order = {
        "order_id": "42",
        "total": "59.90",
        "currency": "USD",
        "store": "s",
        "platform": "bigcommerce",
        "lines": [{"name": "Mug", "quantity": 2, "price": "29.95"}],
        "shipments": [],
    }
    return MessageRequest(
        key=key,
        workflow_id="order:bigcommerce:s:42",
        journey="order",
        step="payment_confirmed",
        category=Category.TRANSACTIONAL,
        channels=channels or [Channel.EMAIL, Channel.SMS],
        recipient=Recipient(name="Ada", email=email, phone=phone),
        context={"order": order, "customer": {"name": "Ada"}, "shipment": None, "link": None},
    )


async def outbox(http: httpx.AsyncClient) -> list[dict[str, object]]:
    return list((await http.get("/sandbox/messages")).json())


async def test_a_retried_send_does_not_send_twice(
    delivery: DeliveryActivities, sandbox_http: httpx.AsyncClient
) -> None:
    env = ActivityEnvironment()
    first = await env.run(delivery.send_message, request("k-once"))
    again = await env.run(delivery.send_message, request("k-once"))
    assert first.status == MessageStatus.SENT and first.channel == Channel.EMAIL and not first.duplicate
    assert again.duplicate and again.job_id == first.job_id
    messages = await outbox(sandbox_http)
    assert len(messages) == 1
    assert messages[0]["reference"] == "k-once" and messages[0]["subject"] == "Order #42 is confirmed"
    row = await delivery.stores.ledger.get("k-once")
    assert row is not None and row.status == "sent" and row.job_id == first.job_id
    assert row.address_hash == hash_address("ada@example.com") and "ada" not in (row.address_hash or "")


async def test_missing_address_falls_back_to_the_next_channel(
    delivery: DeliveryActivities, sandbox_http: httpx.AsyncClient
) -> None:
    result = await ActivityEnvironment().run(delivery.send_message, request("k-fallback", email=None))
    assert result.channel == Channel.SMS and result.segments == 1
    assert [(a.channel, a.outcome) for a in result.attempts] == [
        (Channel.EMAIL, "skipped"),
        (Channel.SMS, "sent"),
    ]
    [sms] = await outbox(sandbox_http)
    assert sms["to"] == "+14155550101" and "Order #42 confirmed" in str(sms["text"])


async def test_nobody_to_reach_is_recorded_as_suppressed(delivery: DeliveryActivities) -> None:
    result = await ActivityEnvironment().run(delivery.send_message, request("k-none", email=None, phone=None))
    assert result.status == MessageStatus.SUPPRESSED
    assert result.reason == "email: no email address; sms: no sms address"
    row = await delivery.stores.ledger.get("k-none")
    assert row is not None and row.status == "suppressed"


async def test_throttling_is_retryable_and_honours_retry_after(
    delivery: DeliveryActivities, sandbox_http: httpx.AsyncClient
) -> None:
    await sandbox_http.post(
        "/sandbox/faults", json={"error_rate": 1.0, "status_codes": [429], "retry_after": 7}
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(delivery.send_message, request("k-429"))
    assert not caught.value.non_retryable
    assert caught.value.type == "OpenTextThrottled"
    assert caught.value.next_retry_delay == timedelta(seconds=7)
    await sandbox_http.post("/sandbox/faults", json={})
    result = await ActivityEnvironment().run(delivery.send_message, request("k-429"))  # the retry
    assert result.status == MessageStatus.SENT
    assert len(await outbox(sandbox_http)) == 1


async def test_permanent_rejection_on_every_channel_is_a_recorded_failure(
    delivery: DeliveryActivities, sandbox_http: httpx.AsyncClient
) -> None:
    await sandbox_http.post("/sandbox/faults", json={"error_rate": 1.0, "status_codes": [400]})
    result = await ActivityEnvironment().run(delivery.send_message, request("k-400"))
    assert result.status == MessageStatus.FAILED
    assert [a.outcome for a in result.attempts] == ["failed", "failed"]
    assert "400" in (result.reason or "")
    row = await delivery.stores.ledger.get("k-400")
    assert row is not None and row.status == "failed" and row.reason == result.reason
