"""The store behaves the same on SQLite and on a real PostgreSQL: migrations, the ledger's
exactly-once claim, receipts, caps, preferences, opt-outs and the inbound log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import inspect

from domain.notifications import (
    Category,
    Channel,
    DeliveryReceipt,
    DeliveryState,
    InboundMessage,
    MessageRequest,
    MessageResult,
    MessageStatus,
    Recipient,
)
from domain.preferences import Preferences, QuietHours
from store.opt_outs import SCOPE_ALL, SCOPE_MARKETING
from store.stores import Stores


def message(
    key: str, customer: str = "bigcommerce:s:7", category: Category = Category.MARKETING
) -> MessageRequest:
    return MessageRequest(
        key=key,
        workflow_id="cart:bigcommerce:s:c1",
        journey="cart",
        step="reminder",
        category=category,
        channels=[Channel.SMS],
        recipient=Recipient(phone="+14155550101"),
        customer_key=customer,
    )


async def test_migrations_create_every_table(stores: Stores) -> None:
    async with stores.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {"messages", "preferences", "opt_outs", "inbound_messages", "alembic_version"} <= tables


async def test_a_finished_key_is_never_claimed_again(stores: Stores) -> None:
    key = f"k-{uuid.uuid4().hex}"
    assert await stores.ledger.claim(message(key)) is None
    unfinished = await stores.ledger.claim(message(key))  # a crashed attempt's retry: must ask OpenText
    assert unfinished is not None and unfinished.status == "sending"
    result = MessageResult(
        key=key, status=MessageStatus.SENT, channel=Channel.SMS, job_id="xsi-1", segments=1
    )
    await stores.ledger.finish(result, "+14155550101")
    existing = await stores.ledger.claim(message(key))
    assert existing is not None and existing.status == "sent" and existing.job_id == "xsi-1"
    assert existing.address_hash is not None and "555" not in existing.address_hash


async def test_receipts_mark_delivery_and_never_step_back(stores: Stores) -> None:
    key = f"k-{uuid.uuid4().hex}"
    await stores.ledger.claim(message(key))
    await stores.ledger.finish(
        MessageResult(key=key, status=MessageStatus.SENT, channel=Channel.SMS, job_id=f"xsi-{key}"),
        "+14155550101",
    )
    delivered = DeliveryReceipt(job_id=f"xsi-{key}", channel=Channel.SMS, state=DeliveryState.DELIVERED)
    row = await stores.ledger.record_receipt(delivered)
    assert row is not None and row.delivery == "delivered" and row.delivered_at is not None
    late = DeliveryReceipt(
        job_id=f"xsi-{key}", message_key=key, channel=Channel.SMS, state=DeliveryState.PENDING
    )
    row = await stores.ledger.record_receipt(late)
    assert row is not None and row.delivery == "delivered"
    unknown = DeliveryReceipt(job_id="xsi-nope", channel=Channel.SMS, state=DeliveryState.DELIVERED)
    assert await stores.ledger.record_receipt(unknown) is None


async def test_marketing_sent_counts_feed_the_frequency_cap(stores: Stores) -> None:
    customer = f"bigcommerce:s:{uuid.uuid4().hex[:6]}"
    for i in range(3):
        key = f"{customer}-{i}"
        await stores.ledger.claim(message(key, customer))
        await stores.ledger.finish(
            MessageResult(key=key, status=MessageStatus.SENT, channel=Channel.SMS), "+1"
        )
    since = datetime.now(UTC) - timedelta(days=1)
    assert await stores.ledger.sent_since(customer, Channel.SMS, "marketing", since) == 3
    assert await stores.ledger.sent_since(customer, Channel.EMAIL, "marketing", since) == 0
    assert (
        await stores.ledger.sent_since(customer, Channel.SMS, "marketing", datetime.now(UTC) + timedelta(1))
        == 0
    )


async def test_preferences_round_trip(stores: Stores) -> None:
    prefs = Preferences(
        email="ada@example.com",
        phone="+14155550101",
        channels=[Channel.SMS, Channel.EMAIL],
        marketing_opt_in=[Channel.SMS],
        locale="de",
        time_zone="Europe/Berlin",
        quiet_hours=QuietHours(start=time(22, 0), end=time(7, 30)),
    )
    customer = uuid.uuid4().hex[:6]
    assert await stores.preferences.get("bigcommerce", "s", customer) is None
    await stores.preferences.put("bigcommerce", "s", customer, prefs)
    assert await stores.preferences.get("bigcommerce", "s", customer) == prefs
    changed = prefs.model_copy(update={"marketing_opt_in": [], "quiet_hours": None})
    await stores.preferences.put("bigcommerce", "s", customer, changed)
    assert await stores.preferences.get("bigcommerce", "s", customer) == changed


async def test_stop_blocks_every_sms_and_an_unsubscribe_only_marketing_email(stores: Stores) -> None:
    phone, email = f"+1415555{uuid.uuid4().int % 10000:04d}", f"{uuid.uuid4().hex[:6]}@example.com"
    await stores.opt_outs.opt_out(Channel.SMS, phone, SCOPE_ALL, "sms STOP")
    await stores.opt_outs.opt_out(Channel.EMAIL, email, SCOPE_MARKETING, "email opt-out event")
    assert (
        await stores.opt_outs.blocks(Channel.SMS, phone, Category.TRANSACTIONAL) == "sms opted out (sms STOP)"
    )
    assert await stores.opt_outs.blocks(Channel.SMS, phone, Category.OPERATIONAL) is None
    assert await stores.opt_outs.blocks(Channel.EMAIL, email, Category.TRANSACTIONAL) is None
    assert await stores.opt_outs.blocks(Channel.EMAIL, email, Category.MARKETING) is not None
    assert await stores.opt_outs.opt_in(Channel.SMS, phone)
    assert await stores.opt_outs.blocks(Channel.SMS, phone, Category.MARKETING) is None
    assert not await stores.opt_outs.opt_in(Channel.SMS, phone)


async def test_inbound_messages_are_kept_and_deduplicated(stores: Stores) -> None:
    provider_id = f"mo-{uuid.uuid4().hex}"
    inbound = InboundMessage(
        channel=Channel.SMS,
        sender="+14155550101",
        text="2",
        received_at=datetime.now(UTC),
        provider_message_id=provider_id,
    )
    assert await stores.inbound.seen(provider_id) is None
    await stores.inbound.record(inbound, "unmatched", "no open conversation")
    seen = await stores.inbound.seen(provider_id)
    assert seen is not None and seen.handling == "unmatched" and seen.text == "2"
