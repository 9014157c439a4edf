"""Erasure: `DELETE /customers/{platform}/{store}/{id}` and `tidings forget` stop the customer's open
journeys with a reason, delete their preferences, conversations, inbound messages and customer row,
leave their ledger rows with the address hash alone, report what went, and touch no one else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from typer.testing import CliRunner

from domain.campaign import CustomerFacts
from domain.events import Platform
from domain.notifications import Channel, InboundMessage
from domain.preferences import Preferences
from domain.settings import Settings, get_settings
from starter.cli import app
from store.erasure import forget_customer
from store.ledger import hash_address
from store.models import ConversationRow, InboundRow, MessageRow, OptOutRow
from store.stores import Stores
from tests.codec_test_key import TEST_KEYS_FILE
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually

ADA = ("+14155550111", "ada.erase@example.com")
BOB = ("+14155550122", "bob.keep@example.com")
OPS = "+14155550100"


async def seed_customer(stores: Stores, customer_id: str, phone: str, email: str, workflow_id: str) -> None:
    now = datetime.now(UTC)
    await stores.preferences.put("bigcommerce", "s1", customer_id, Preferences(email=email, phone=phone))
    await stores.customers.upsert(
        CustomerFacts(
            platform=Platform.BIGCOMMERCE, store="s1", customer_id=customer_id, email=email, name="Ada"
        )
    )
    reply = InboundMessage(channel=Channel.SMS, sender=phone, text=f"call me at {phone}", received_at=now)
    await stores.inbound.record(reply, "routed")
    await stores.conversations.open(workflow_id, "AB12", [(Channel.SMS, phone)], ["YES"])
    async with async_sessionmaker(stores.engine)() as session, session.begin():
        session.add(
            MessageRow(
                key=f"{workflow_id}:shipped",
                workflow_id=workflow_id,
                journey="order",
                template="order/shipped",
                category="transactional",
                customer_key=f"bigcommerce:s1:{customer_id}",
                channel="sms",
                status="failed",
                reason=f"OpenText refused {phone}",
                address_hash=hash_address(phone),
                created_at=now,
                updated_at=now,
            )
        )
        session.add(
            OptOutRow(
                channel="sms",
                address_hash=hash_address(phone),
                scope="all",
                source="sms STOP",
                created_at=now,
            )
        )


async def test_the_store_forgets_one_customer_and_keeps_the_others(stores: Stores) -> None:
    await seed_customer(stores, "11", *ADA, "order:bigcommerce:s1:1")
    await seed_customer(stores, "22", *BOB, "order:bigcommerce:s1:2")
    # Ada's order journey also alerted the operations team, who once texted us: theirs, not hers.
    now = datetime.now(UTC)
    async with async_sessionmaker(stores.engine)() as session, session.begin():
        session.add(
            MessageRow(
                key="order:bigcommerce:s1:1:alert",
                workflow_id="order:bigcommerce:s1:1",
                journey="alerts",
                template="alerts/fraud",
                category="operational",
                customer_key=None,
                channel="sms",
                status="sent",
                address_hash=hash_address(OPS),
                created_at=now,
                updated_at=now,
            )
        )
    await stores.inbound.record(
        InboundMessage(channel=Channel.SMS, sender=OPS, text="on it", received_at=now), "routed"
    )

    removed = await forget_customer(stores.engine, "bigcommerce", "s1", "11", {"order:bigcommerce:s1:1"})

    assert (removed.preferences, removed.customer_rows, removed.conversations, removed.inbound_messages) == (
        1,
        1,
        1,
        1,
    )
    assert removed.ledger_rows_scrubbed == 1 and removed.address_hashes == 2  # her phone and email
    assert await stores.preferences.get("bigcommerce", "s1", "11") is None
    assert await stores.customers.get("bigcommerce", "s1", "11") is None
    assert await stores.inbound.for_sender(ADA[0]) == []
    assert await stores.conversations.open_for(Channel.SMS, ADA[0]) == []
    async with async_sessionmaker(stores.engine)() as session:
        [ledger] = (
            await session.scalars(select(MessageRow).where(MessageRow.customer_key.like("%:11")))
        ).all()
        assert ledger.address_hash == hash_address(ADA[0]) and ledger.reason is None
        # A STOP stays: the address must not be messaged again if a platform sends the customer back.
        assert await session.get(OptOutRow, ("sms", hash_address(ADA[0]))) is not None
        inbound_left = (await session.scalars(select(InboundRow))).all()
        conversations_left = (await session.scalars(select(ConversationRow))).all()
    assert sorted(r.sender_hash for r in inbound_left) == sorted([hash_address(BOB[0]), hash_address(OPS)])
    assert [r.workflow_id for r in conversations_left] == ["order:bigcommerce:s1:2"]
    assert await stores.preferences.get("bigcommerce", "s1", "22") is not None
    assert await stores.customers.get("bigcommerce", "s1", "22") is not None


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, api_token=API_TOKEN)


async def open_order(shop: Shop, client: Client, order_id: int, customer_id: int) -> None:
    """An order paid and awaiting shipment: its journey is running, waiting for the next event."""
    await shop.seed(order_id, customer_id=customer_id)
    assert (await shop.created(order_id)).status_code == 202

    async def confirmed() -> bool:
        return len(await shop.steps(order_id)) >= 1

    await eventually(confirmed, timeout=60, what=f"order {order_id} confirmed")

    async def listed() -> bool:
        query = f"StoreId = '{shop.store}' AND CustomerId = '{customer_id}' AND ExecutionStatus = 'Running'"
        return [w.id async for w in client.list_workflows(query)] != []

    await eventually(listed, timeout=30, what=f"order {order_id} visible by CustomerId")


async def test_delete_customer_stops_their_journeys_and_forgets_them(
    shop: Shop, client: Client, http: httpx.AsyncClient
) -> None:
    await open_order(shop, client, 501, customer_id=5501)
    await open_order(shop, client, 502, customer_id=5502)  # someone else's: untouched
    await shop.opt_in(5501, "sms", phone="+14155550133")
    url = f"{shop.ingress}/customers/bigcommerce/{shop.store}/5501"

    assert (await http.delete(url)).status_code == 401
    assert (await http.delete(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
    answer = await http.delete(url, headers={"Authorization": f"Bearer {API_TOKEN}"})

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert shop.workflow_id(501) in report["journeys_stopped"]  # and the customer's own journey, if begun
    assert set(report["journeys_stopped"]) <= {
        shop.workflow_id(501),
        f"customer:bigcommerce:{shop.store}:5501",
    }
    assert report["removed"]["preferences"] == 1
    stopped = await client.get_workflow_handle(shop.workflow_id(501)).describe()
    assert stopped.status == WorkflowExecutionStatus.TERMINATED
    history = await client.get_workflow_handle(shop.workflow_id(501)).fetch_history()
    assert "customer erasure" in history.events[-1].workflow_execution_terminated_event_attributes.reason
    other = await client.get_workflow_handle(shop.workflow_id(502)).describe()
    assert other.status == WorkflowExecutionStatus.RUNNING
    prefs = await http.get(f"{url}/preferences", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert prefs.status_code == 404


async def test_tidings_forget_reports_what_it_removed(
    shop: Shop, client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_order(shop, client, 503, customer_id=5503)
    await shop.opt_in(5503, "email")
    # The command as an operator runs it, pointed at the session's server and store.
    monkeypatch.setenv("TIDINGS_TEMPORAL_ADDRESS", client.service_client.config.target_host)
    monkeypatch.setenv("TIDINGS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TIDINGS_ENCRYPTION_KEYS", TEST_KEYS_FILE.read_text())
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        args = ["forget", "--platform", "bigcommerce", "--store", shop.store, "--customer", "5503"]
        result = await asyncio.to_thread(CliRunner().invoke, app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert shop.workflow_id(503) in result.output and '"preferences": 1' in result.output
    stopped = await client.get_workflow_handle(shop.workflow_id(503)).describe()
    assert stopped.status == WorkflowExecutionStatus.TERMINATED
