"""Account and security messages against the real dev server, the real activities and the sandbox:
every kind is sent at once (quiet hours do not hold them), security changes on every channel, the
payment-method notice waits for its moment before the expiry date, and the customer's acknowledgment
(an SMS reply found through the conversation, or a push action naming the message) reaches the
service desk and ends the journey; without one it ends after the policy's wait.

The journey runs on its own worker and task queue here (started like the ingress does, with
signal-with-start) with the events SFCC's cartridge sends, which carry the customer's profile;
replies travel the real way: sandbox → ingress → routing → signal. BigCommerce's account webhooks
name only the customer id: the last tests post them, signed, into the ingress, and the journey reads
the customer from BigCommerce's V3 API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from connectors.bigcommerce.simulate import address_webhook, customer_webhook
from domain.account_policy import AccountPolicy
from domain.campaign import SegmentFilter
from domain.events import AccountPayload, CommerceEvent, CustomerRef, EventType, Platform
from domain.notifications import Channel
from domain.preferences import Preferences, QuietHours
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from worker import activity_set
from workflows.account_message import AccountMessage, AccountMessageInput, AccountStatus

SCALE = 0.000005  # 7 days of waiting for an acknowledgment → 3 s, 14 days of lead time → 6 s


@pytest.fixture(scope="module")
async def account_queue(client: Client, settings: Settings, sandbox: Served) -> AsyncIterator[str]:
    queue = f"account-test-{uuid.uuid4().hex[:6]}"
    async with (
        activity_set(settings) as activities,
        Worker(client, task_queue=queue, workflows=[AccountMessage], activities=activities),
    ):
        yield queue


@pytest.fixture(scope="module")
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


@pytest.fixture
def store() -> str:
    return f"s{uuid.uuid4().hex[:8]}"


def policy(settings: Settings, **update: Any) -> AccountPolicy:
    built = AccountPolicy.from_settings(settings.model_copy(update={"time_scale": SCALE}))
    return built.model_copy(update=update)


def new_phone() -> str:
    return f"+1415555{uuid.uuid4().int % 10000:04d}"


def account_event(
    store: str,
    kind: EventType,
    customer: CustomerRef,
    platform: Platform = Platform.SFCC,  # the cartridge emits every account event, with the profile
    **account: Any,
) -> CommerceEvent:
    assert customer.customer_id is not None
    return CommerceEvent(
        event_id=f"evt-{uuid.uuid4().hex[:12]}",
        platform=platform,
        store=store,
        type=kind,
        occurred_at=datetime.now(UTC),
        customer=customer,
        account=AccountPayload(customer_id=customer.customer_id, **account),
        raw_scope=f"test/{kind.value}",
    )


async def post(client: Client, queue: str, account_policy: AccountPolicy, event: CommerceEvent) -> str:
    """What the ingress does with an account event: signal-with-start on the event's journey."""
    assert event.account is not None
    workflow_id = event.workflow_id()
    await client.start_workflow(
        AccountMessage.run,
        AccountMessageInput(
            platform=event.platform,
            store=event.store,
            customer_id=event.account.customer_id,
            policy=account_policy,
        ),
        id=workflow_id,
        task_queue=queue,
        start_signal="commerce_event",
        start_signal_args=[event],
    )
    return workflow_id


async def bigcommerce_customer(sandbox: Served, store: str, customer_id: str, **fields: Any) -> CustomerRef:
    """Seed the V3 customer and return what BigCommerce's customer webhooks say of them: the id."""
    async with httpx.AsyncClient(timeout=10) as http:
        url = f"{sandbox.url}/sandbox/bigcommerce/{store}/customers/{customer_id}"
        (await http.put(url, json=fields)).raise_for_status()
    return CustomerRef(customer_id=customer_id)


async def outbox(sandbox: Served, prefix: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
    return [m for m in messages if str(m.get("reference") or "").startswith(prefix + ":")]


async def status(client: Client, workflow_id: str) -> AccountStatus:
    return await client.get_workflow_handle(workflow_id).query(AccountMessage.status)


async def service_desk(sandbox: Served, case_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        writes = (await http.get(f"{sandbox.url}/sandbox/service-desk")).json()
    return [w["body"] for w in writes if w["body"].get("case_id") == case_id]


async def reply(sandbox: Served, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        return await http.post(f"{sandbox.url}/sandbox/reply", json=body)


async def test_every_account_message_goes_out_at_once_even_in_quiet_hours(
    client: Client, settings: Settings, sandbox: Served, account_queue: str, store: str, stores: Stores
) -> None:
    phone = new_phone()
    ada = CustomerRef(customer_id="77", email="ada@example.com", phone=phone, name="Ada Lovelace")
    now = datetime.now(UTC)
    around_now = QuietHours(
        start=time((now.hour - 1) % 24), end=time((now.hour + 2) % 24)
    )  # her quiet hours, right now: marketing would wait; these must not
    await stores.preferences.put("sfcc", store, "77", Preferences(time_zone="UTC", quiet_hours=around_now))
    link = "https://shop.example/account/confirm?token=Zk9x2"
    events = {
        "registered": account_event(store, EventType.ACCOUNT_REGISTERED, ada),
        "verification": account_event(store, EventType.ACCOUNT_VERIFICATION, ada, link=link),
        "password_reset": account_event(store, EventType.PASSWORD_RESET, ada, link=link),
        "profile_changed": account_event(store, EventType.PROFILE_CHANGED, ada, detail="email"),
        "security_changed": account_event(store, EventType.SECURITY_CHANGED, ada, detail="two-factor off"),
        "address_changed": account_event(store, EventType.ADDRESS_CHANGED, ada, detail="address Home"),
        "payment_method_expiring": account_event(
            store,
            EventType.PAYMENT_METHOD_EXPIRING,
            ada,
            detail="Visa ending 4242",
            expires_at=now + timedelta(days=3),  # already inside the lead time: at once
        ),
        "refund_completed": account_event(
            store, EventType.REFUND_COMPLETED, ada, amount=Decimal("49.90"), currency="EUR"
        ),
    }
    # unscaled lead time: a card expiring in 3 days is well inside the 14 days' notice
    account_policy = policy(settings, ack_wait=timedelta(minutes=5), expiry_lead=timedelta(days=14))
    ids = dict(
        zip(
            events,
            await asyncio.gather(*(post(client, account_queue, account_policy, e) for e in events.values())),
            strict=True,
        )
    )

    async def all_sent() -> bool:
        found = [await outbox(sandbox, wf) for wf in ids.values()]
        return all(found) and len(found[list(ids).index("security_changed")]) == 2

    await eventually(all_sent, timeout=20, what="every account message")
    sent = {step: await outbox(sandbox, wf) for step, wf in ids.items()}

    [welcome] = sent["registered"]
    assert welcome["channel"] == "email" and welcome["to"] == "ada@example.com"
    assert welcome["subject"] == "Welcome! Your account is ready" and "Hi Ada Lovelace" in welcome["body"]
    [verify] = sent["verification"]
    assert verify["channel"] == "email" and link in verify["body"] and f'href="{link}"' in verify["html"]
    [reset] = sent["password_reset"]
    assert reset["channel"] == "email" and link in reset["body"]
    assert "Reply NO" in reset["body"]  # it asks for an answer, with the journey's reference code
    security = {m["channel"]: m for m in sent["security_changed"]}
    assert set(security) == {"email", "sms"}, "a security change goes out on every channel"
    assert security["sms"]["to"] == phone and "Reply YES or NO" in security["sms"]["text"]
    assert "two-factor off" in security["email"]["body"]
    [expiring] = sent["payment_method_expiring"]
    assert "Visa ending 4242" in expiring["body"]
    assert f"{(now + timedelta(days=3)):%b} {(now + timedelta(days=3)).day}," in expiring["body"]
    [refund] = sent["refund_completed"]
    assert refund["subject"] == "Your refund of €49.90 is complete"

    for step, workflow_id in ids.items():
        journey = await status(client, workflow_id)
        assert (journey.step, journey.state, journey.acknowledged) == (step, "sent", False)
        assert journey.messages and all(m.status.value in ("sent", "delivered") for m in journey.messages)


async def test_the_payment_method_notice_waits_for_its_lead_time_before_the_expiry(
    client: Client, settings: Settings, sandbox: Served, account_queue: str, store: str
) -> None:
    account_policy = policy(settings)
    expires = datetime.now(UTC) + account_policy.expiry_lead + timedelta(seconds=5)
    grace = CustomerRef(customer_id="78", email="grace@example.com", name="Grace Hopper")
    workflow_id = await post(
        client,
        account_queue,
        account_policy,
        account_event(
            store, EventType.PAYMENT_METHOD_EXPIRING, grace, expires_at=expires, detail="Amex 1005"
        ),
    )

    scheduled = await status(client, workflow_id)
    assert scheduled.state == "scheduled"
    assert scheduled.send_at == expires - account_policy.expiry_lead
    assert await outbox(sandbox, workflow_id) == []

    await eventually(lambda: _any(sandbox, workflow_id), timeout=20, what="the expiry notice")
    [notice] = await outbox(sandbox, workflow_id)
    sent_at = datetime.fromisoformat(notice["received_at"])
    assert sent_at >= expires - account_policy.expiry_lead
    assert notice["to"] == "grace@example.com" and "Amex 1005" in notice["body"]


async def _any(sandbox: Served, workflow_id: str) -> bool:
    return bool(await outbox(sandbox, workflow_id))


async def test_an_sms_reply_acknowledges_and_reaches_the_service_desk(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    """BigCommerce's `store/customer/payment/instrument/default/updated` through the ingress: a
    security notice by email and SMS, answered "NO" by SMS."""
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    phone = new_phone()
    await bigcommerce_customer(
        sandbox, shop.store, "79", email="lin@example.com", phone=phone, first_name="Lin"
    )
    posted = await shop.post(
        customer_webhook(shop.store, "store/customer/payment/instrument/default/updated", 79)
    )
    assert posted.status_code == 202, posted.text
    [workflow_id] = posted.json()["workflow_ids"]
    await eventually(lambda: _count(sandbox, workflow_id, 2), timeout=30, what="email and SMS")

    answered = await reply(sandbox, **{"from": phone, "text": "NO, that was not me"})
    assert answered.status_code == 202 and answered.json()["handling"] == "routed", answered.text

    result = await client.get_workflow_handle(workflow_id, result_type=AccountStatus).result()
    assert result.state == "acknowledged" and result.acknowledgment is not None
    assert result.acknowledgment.channel is Channel.SMS
    assert result.acknowledgment.text == "NO, that was not me"
    assert result.acknowledgment.written_back and "service desk" in result.acknowledgment.written_back
    [write] = await service_desk(sandbox, f"account-{result.event_id}")
    assert write["event"] == "acknowledged" and write["text"] == "NO, that was not me"
    assert (write["meaning"], write["channel"], write["order_id"]) == ("security_changed", "sms", None)

    again = await reply(sandbox, **{"from": phone, "text": "hello?"})  # the conversation is closed
    assert again.json()["handling"] == "unmatched"


async def test_a_push_action_naming_the_message_acknowledges_it(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served, stores: Stores
) -> None:
    """BigCommerce's `store/customer/address/created` through the ingress, for a customer BigCommerce
    knows no email or phone of but who registered the store's app (a push token): the push's action
    acknowledges it."""
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    token = f"fcm-{uuid.uuid4().hex}"
    await stores.preferences.put("bigcommerce", shop.store, "80", Preferences(push_token=token))
    await bigcommerce_customer(sandbox, shop.store, "80", first_name="Kim")
    posted = await shop.post(address_webhook(shop.store, 80, 12))
    assert posted.status_code == 202, posted.text
    [workflow_id] = posted.json()["workflow_ids"]
    await eventually(lambda: _any(sandbox, workflow_id), timeout=30, what="the push")
    [push] = await outbox(sandbox, workflow_id)
    assert push["channel"] == "push" and push["to"] == token
    assert push["text"] == "A saved address in your account was changed."

    tapped = await reply(
        sandbox, **{"from": token, "channel": "push", "action": "GOT_IT", "reference": push["reference"]}
    )
    assert tapped.status_code == 202 and tapped.json()["handling"] == "routed", tapped.text

    result = await client.get_workflow_handle(workflow_id, result_type=AccountStatus).result()
    assert result.state == "acknowledged" and result.acknowledgment is not None
    assert (result.acknowledgment.channel, result.acknowledgment.text) == (Channel.PUSH, "GOT_IT")
    [write] = await service_desk(sandbox, f"account-{result.event_id}")
    assert (write["meaning"], write["channel"], write["text"]) == ("address_changed", "push", "GOT_IT")


async def test_without_an_acknowledgment_the_journey_ends_after_the_policy_wait(
    client: Client, settings: Settings, sandbox: Served, ingress: Served, account_queue: str, store: str
) -> None:
    phone = new_phone()
    sam = CustomerRef(customer_id="81", email="sam@example.com", phone=phone, name="Sam")
    event = account_event(store, EventType.PASSWORD_RESET, sam, link="https://shop.example/reset?t=1")
    account_policy = policy(settings)
    started = datetime.now(UTC)
    workflow_id = await post(client, account_queue, account_policy, event)

    result = await client.get_workflow_handle(workflow_id, result_type=AccountStatus).result()
    assert result.state == "unacknowledged" and not result.acknowledged
    assert datetime.now(UTC) - started >= account_policy.ack_wait
    assert [m.channel for m in result.messages] == [Channel.EMAIL]
    assert await service_desk(sandbox, f"account-{event.event_id}") == []
    late = await reply(sandbox, **{"from": phone, "text": "NO"})  # its conversation closed with it
    assert late.json()["handling"] == "unmatched"


async def _count(sandbox: Served, workflow_id: str, n: int) -> bool:
    return len(await outbox(sandbox, workflow_id)) >= n


async def test_bigcommerce_account_webhooks_reach_a_customer_who_never_saved_preferences(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served, settings: Settings
) -> None:
    """BigCommerce sends `{id}` for a new account and for a new default card: the journey reads the
    V3 customer for the address, so the welcome and the security notice need no saved preferences."""
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    phone = new_phone()
    customer = {"email": "noor@example.com", "first_name": "Noor", "last_name": "Haddad", "phone": phone}
    seeded = await http.put(f"{sandbox.url}/sandbox/bigcommerce/{shop.store}/customers/64", json=customer)
    seeded.raise_for_status()
    created = await shop.post(customer_webhook(shop.store, "store/customer/created", 64))
    card = await shop.post(
        customer_webhook(shop.store, "store/customer/payment/instrument/default/updated", 64)
    )
    assert (created.status_code, card.status_code) == (202, 202), created.text + card.text
    prefix = f"account:bigcommerce:{shop.store}:64:"

    async def arrived() -> bool:
        return len(await outbox(sandbox, prefix.rstrip(":"))) >= 3  # welcome + security by email and SMS

    await eventually(arrived, timeout=60, what="the welcome and the security notice")
    messages = await outbox(sandbox, prefix.rstrip(":"))
    welcome = [m for m in messages if m.get("subject") == "Welcome! Your account is ready"]
    assert [m["to"] for m in welcome] == ["noor@example.com"] and "Hi Noor Haddad" in welcome[0]["body"]
    security = {m["channel"]: m["to"] for m in messages if m not in welcome}
    assert security == {"email": "noor@example.com", "sms": phone}
    # the new account is in the customers table: a "never ordered" campaign reaches it
    opened = await Stores.open(settings.database_url)
    try:
        facts = await opened.customers.get("bigcommerce", shop.store, "64")
        assert facts is not None and facts.email == "noor@example.com" and facts.orders_count == 0
        page = await opened.customers.page(
            shop.store, None, SegmentFilter(never_ordered=True), datetime.now(UTC), None, 10
        )
        assert [c.customer_id for c in page] == ["64"]
    finally:
        await opened.close()


async def test_a_bigcommerce_account_event_for_an_unknown_customer_sends_nothing(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    posted = await shop.post(customer_webhook(shop.store, "store/customer/created", 65))
    assert posted.status_code == 202, posted.text
    [journey_id] = posted.json()["workflow_ids"]
    result = await client.get_workflow_handle(journey_id, result_type=AccountStatus).result()
    assert result.state == "not_sent"
    assert any("has no details of customer 65" in e.summary for e in result.timeline)
    assert await outbox(sandbox, journey_id) == []
