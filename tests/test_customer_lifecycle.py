"""CustomerLifecycle against the real dev server, with the real delivery activity and the sandbox as
OpenText, on a worker of its own (until the routing starts it from webhooks). Calendar distances run
compressed: with SCALE a day is 4.3 s, so a reward reminder a day ahead, a birthday tomorrow and a
one-day win-back all fire within seconds, and a year between birthdays is 26 minutes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.audience import AudienceActivities
from domain.events import (
    AccountPayload,
    CommerceEvent,
    CustomerRef,
    EventType,
    OrderPayload,
    Platform,
    customer_workflow_id,
)
from domain.loyalty_policy import LoyaltyPolicy
from domain.notifications import Channel, DeliveryPolicy
from domain.preferences import Preferences
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import Served
from tests.shop import eventually
from worker import activity_set
from workflows.customer_lifecycle import CustomerLifecycle, CustomerLifecycleInput, LifecycleStatus

SCALE = 0.00005  # a day → 4.3 s
DAY = timedelta(days=1) * SCALE


@pytest.fixture(scope="module")
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
async def queue(client: Client, settings: Settings, sandbox: Served, stores: Stores) -> AsyncIterator[str]:
    """A worker of our own: the lifecycle and the real activities (deduplicated by name, so this keeps
    working once worker.py registers them too)."""
    name = f"{settings.task_queue}-lifecycle"
    async with activity_set(settings) as activities:
        registered = {fn.__name__: fn for fn in [*activities, AudienceActivities(stores).record_customer]}
        async with Worker(
            client, task_queue=name, workflows=[CustomerLifecycle], activities=list(registered.values())
        ):
            yield name


class Customer:
    """One shopper of a fresh store, and the platform events about them."""

    def __init__(
        self, client: Client, queue: str, http: httpx.AsyncClient, sandbox: Served, stores: Stores
    ) -> None:
        self.client, self.queue, self.http, self.sandbox, self.stores = client, queue, http, sandbox, stores
        self.store = f"s{uuid.uuid4().hex[:8]}"
        self.customer_id = "7"
        self.workflow_id = customer_workflow_id(Platform.SFCC, self.store, self.customer_id)
        self.ref = CustomerRef(customer_id="7", email="ada@example.de", name="Ada Lovelace", locale="de_DE")
        self.policy = LoyaltyPolicy(
            winback_after=timedelta(days=1), birthday_code="BDAY15", store_url="https://shop.example"
        ).scaled(SCALE)

    def event(
        self,
        kind: EventType,
        *,
        event_id: str | None = None,
        order_id: str | None = None,
        at: datetime | None = None,
        extra: dict[str, Any] | None = None,
        fanned_out: bool = False,
        **account: Any,
    ) -> CommerceEvent:
        """`fanned_out`: an order event as the routing copies it to the customer's journey (no order
        payload, so it is not routed to the order's; the order id in `extra`)."""
        order = OrderPayload(order_id=order_id) if order_id and not fanned_out else None
        return CommerceEvent(
            event_id=event_id or uuid.uuid4().hex,
            platform=Platform.SFCC,
            store=self.store,
            type=kind,
            occurred_at=at or datetime.now(UTC),
            customer=self.ref,
            order=order,
            account=AccountPayload(customer_id=self.customer_id, **account) if order is None else None,
            raw_scope=kind.value,
            extra={**(extra or {}), **({"order_id": order_id} if fanned_out else {})},
        )

    async def send(self, event: CommerceEvent) -> None:
        """As the routing does: signal-with-start on the customer's business key."""
        await self.client.start_workflow(
            CustomerLifecycle.run,
            CustomerLifecycleInput(
                platform=Platform.SFCC, store=self.store, customer_id=self.customer_id, policy=self.policy
            ),
            id=self.workflow_id,
            task_queue=self.queue,
            start_signal="commerce_event",
            start_signal_args=[event],
        )

    async def status(self) -> LifecycleStatus:
        return await self.client.get_workflow_handle(self.workflow_id).query(CustomerLifecycle.status)

    async def opt_in(self, *channels: Channel, **prefs: Any) -> None:
        await self.stores.preferences.put(
            "sfcc", self.store, self.customer_id, Preferences(marketing_opt_in=list(channels), **prefs)
        )

    async def messages(self) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.sandbox.url}/sandbox/messages")
        r.raise_for_status()
        return [m for m in r.json() if (m.get("reference") or "").startswith(self.workflow_id + ":")]

    async def steps(self) -> list[str]:
        return [m["reference"][len(self.workflow_id) + 1 :].split(":")[0] for m in await self.messages()]

    async def wait_for(self, count: int, what: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        async def arrived() -> bool:
            return len(await self.messages()) >= count

        await eventually(arrived, timeout=timeout, what=what)
        return await self.messages()

    async def settled(self, events: int, messages: int = 0) -> LifecycleStatus:
        """Once the run has taken up `events` events and has the outcome of `messages` messages."""

        async def handled() -> bool:
            status = await self.status()
            taken = sum(1 for e in status.timeline if e.kind == "event")
            return taken >= events and len(status.messages) >= messages

        await eventually(handled, what=f"{events} events handled")
        return await self.status()

    async def stop(self) -> None:
        await self.client.get_workflow_handle(self.workflow_id).terminate("test over")


@pytest.fixture
async def customer(
    client: Client, queue: str, http: httpx.AsyncClient, sandbox: Served, stores: Stores
) -> AsyncIterator[Customer]:
    shopper = Customer(client, queue, http, sandbox, stores)
    yield shopper
    await shopper.stop()


async def test_points_tier_news_and_suggestions_reach_the_customer_and_the_customers_table(
    customer: Customer, stores: Stores
) -> None:
    await customer.opt_in(Channel.EMAIL)
    await customer.send(
        customer.event(
            EventType.CUSTOMER_UPDATED, tier="silver", balance=1000, birthday="12-24", extra={"country": "de"}
        )
    )
    points = customer.event(EventType.POINTS_EARNED, points=120, balance=1120)
    await customer.send(points)
    await customer.send(customer.event(EventType.TIER_CHANGED, tier="gold", previous_tier="silver"))
    await customer.send(customer.event(EventType.TIER_CHANGED, tier="silver", previous_tier="gold"))
    await customer.send(points)  # the platform retried the webhook
    await customer.send(
        customer.event(EventType.PRODUCT_SUGGESTIONS, products=["Entkalker", "Milchaufschäumer"])
    )
    messages = await customer.wait_for(3, "points, tier and suggestions")
    status = await customer.settled(5, messages=3)

    assert await customer.steps() == ["points_earned", "tier_changed", "suggestions"]  # once each
    earned, tier, suggestions = messages
    assert earned["subject"] == "Sie haben 120 Punkte gesammelt"  # the customer's language
    assert "1120 Punkte" in earned["body"]
    assert "Gold" in tier["subject"] and "Silver" in tier["body"]
    assert "Entkalker" in suggestions["body"] and "Milchaufschäumer" in suggestions["body"]
    assert any("downgrade, not announced" in e.summary for e in status.timeline)
    assert status.profile.tier == "silver" and status.profile.points_balance == 1120

    async def recorded() -> bool:
        facts = await stores.customers.get("sfcc", customer.store, "7")
        return facts is not None and facts.tier == "silver"

    await eventually(recorded, what="the customers table to hear of the downgrade")
    facts = await stores.customers.get("sfcc", customer.store, "7")
    assert facts is not None
    assert (facts.email, facts.language, facts.country, facts.birthday) == (
        "ada@example.de",
        "de",
        "DE",
        "12-24",
    )


async def test_points_are_account_news_but_suggestions_need_a_marketing_opt_in(customer: Customer) -> None:
    await customer.send(customer.event(EventType.POINTS_EARNED, points=40, balance=40))
    await customer.send(customer.event(EventType.PRODUCT_SUGGESTIONS, products=["Milk Frother"]))
    status = await customer.settled(2, messages=2)
    assert await customer.steps() == ["points_earned"]
    [points, suggestions] = status.messages
    assert points.status == "sent"
    assert suggestions.status == "suppressed" and "no marketing opt-in" in (suggestions.reason or "")


async def test_a_reward_reminder_comes_its_lead_time_before_the_expiry(customer: Customer) -> None:
    await customer.opt_in(Channel.EMAIL)
    expires = datetime.now(UTC) + timedelta(days=8)  # the policy reminds 7 days ahead: due in a day
    await customer.send(
        customer.event(
            EventType.REWARD_EXPIRING,
            detail="Summer voucher",
            expires_at=expires,
            amount=Decimal("10.00"),
            currency="EUR",
        )
    )
    await customer.send(
        customer.event(EventType.REWARD_EXPIRING, expires_at=datetime.now(UTC) - timedelta(hours=1))
    )
    status = await customer.settled(2)
    [reward] = status.rewards
    started = datetime.now(UTC)
    assert reward.reward == "Summer voucher"
    assert abs((reward.remind_at - started) - DAY) < timedelta(seconds=2)
    assert any("too late" in e.summary for e in status.timeline)
    assert await customer.messages() == []

    [reminder] = await customer.wait_for(1, "the reward reminder")
    received = datetime.fromisoformat(reminder["received_at"])
    assert received >= reward.remind_at - timedelta(seconds=1)
    assert "Summer voucher" in reminder["body"] and "10,00" in reminder["body"]
    assert (await customer.status()).rewards == []


async def test_the_birthday_offer_goes_out_on_the_birthday_and_then_waits_a_year(customer: Customer) -> None:
    await customer.opt_in(Channel.EMAIL)
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).date()
    await customer.send(customer.event(EventType.CUSTOMER_UPDATED, birthday=f"{tomorrow:%m-%d}"))
    status = await customer.settled(1)
    party = datetime.combine(tomorrow, time(9), tzinfo=ZoneInfo("UTC"))  # the store's 09:00
    assert status.next_birthday == party
    assert status.birthday_due is not None
    assert abs(status.birthday_due - (now + (party - now) * SCALE)) < timedelta(seconds=2)

    [offer] = await customer.wait_for(1, "the birthday offer")
    assert "Geburtstag" in offer["subject"] and "BDAY15" in offer["body"]
    assert offer["reference"] == f"{customer.workflow_id}:birthday:{tomorrow.year}"
    after = await customer.status()
    assert after.next_birthday == party.replace(year=party.year + 1)
    assert after.birthday_due is not None
    year = party.replace(year=party.year + 1) - party
    assert abs(after.birthday_due - status.birthday_due - year * SCALE) < timedelta(milliseconds=1)


async def test_orders_reset_the_win_back_clock_and_a_lapse_gets_one_win_back(
    customer: Customer, stores: Stores
) -> None:
    lapse = 2 * DAY  # two days without an order: 8.6 s
    customer.policy = customer.policy.model_copy(update={"winback_after": timedelta(days=2)})
    await customer.opt_in(Channel.EMAIL)
    await customer.send(customer.event(EventType.ORDER_CREATED, order_id="1001"))
    first = (await customer.settled(1)).winback_due
    assert first is not None

    async def half_way() -> bool:
        return datetime.now(UTC) >= first - lapse / 2

    await eventually(half_way, what="half the lapse")
    await customer.send(customer.event(EventType.ORDER_CREATED, order_id="1002"))
    await customer.send(customer.event(EventType.ORDER_CREATED, order_id="1002", fanned_out=True))  # twice
    status = await customer.settled(3)
    assert status.orders_count == 2 and status.stage == "active"
    assert status.winback_due is not None and status.winback_due >= first + lapse / 2

    [winback] = await customer.wait_for(1, "the win-back")
    assert winback["subject"] == "Wir vermissen Sie"
    # it came when the second order's lapse ended, not the first's
    assert datetime.fromisoformat(winback["received_at"]) >= status.winback_due - timedelta(seconds=1)
    lapsed = await customer.status()
    assert lapsed.stage == "lapsed" and lapsed.winback_due is None  # one win-back per lapse
    assert len(await customer.messages()) == 1

    await customer.send(customer.event(EventType.ORDER_CREATED, order_id="1003"))
    back = await customer.settled(4)
    assert back.stage == "active" and back.winback_due is not None
    facts = await stores.customers.get("sfcc", customer.store, "7")
    assert facts is not None and facts.orders_count == 3


async def test_a_message_held_by_quiet_hours_does_not_hold_up_the_others(customer: Customer) -> None:
    zone = "America/New_York"
    local = datetime.now(ZoneInfo(zone))
    customer.ref = customer.ref.model_copy(update={"phone": "+14155550101", "locale": "en"})
    customer.policy = customer.policy.model_copy(
        update={
            "suggestion_channels": [Channel.SMS],
            "delivery": DeliveryPolicy(
                quiet_hours_start=(local - timedelta(hours=1)).time(),
                quiet_hours_end=(local + timedelta(seconds=8)).time(),
            ),
        }
    )
    await customer.opt_in(Channel.SMS, time_zone=zone)
    await customer.send(customer.event(EventType.PRODUCT_SUGGESTIONS, products=["Descaler"]))
    await customer.send(customer.event(EventType.POINTS_EARNED, points=15, balance=65))
    [points] = await customer.wait_for(1, "the points message")
    assert points["channel"] == "email"  # transactional: no quiet hours, at once
    held = (await customer.status()).waiting
    assert len(held) == 1 and held[0].step == "loyalty/suggestions" and "quiet hours" in held[0].reason

    messages = await customer.wait_for(2, "the held SMS")
    assert messages[1]["channel"] == "sms" and "Descaler" in messages[1]["text"]
    assert datetime.fromisoformat(messages[1]["received_at"]) >= held[0].until - timedelta(seconds=1)
    assert (await customer.status()).waiting == []


async def test_continue_as_new_carries_the_customer_over(customer: Customer) -> None:
    await customer.opt_in(Channel.EMAIL)
    customer.policy = customer.policy.model_copy(update={"events_per_run": 3})
    first_points = customer.event(EventType.POINTS_EARNED, points=100, balance=600)
    await customer.send(
        customer.event(EventType.CUSTOMER_UPDATED, tier="gold", balance=500, birthday="02-29")
    )
    await customer.send(first_points)
    await customer.send(customer.event(EventType.ORDER_CREATED, order_id="2001"))

    async def continued() -> bool:
        return (await customer.status()).runs >= 2

    await eventually(continued, what="continue-as-new")
    await customer.send(first_points)  # a duplicate of an event the first run handled
    expires = datetime.now(UTC) + timedelta(days=60)
    await customer.send(customer.event(EventType.REWARD_EXPIRING, detail="Welcome gift", expires_at=expires))

    async def reward_noted() -> bool:
        return bool((await customer.status()).rewards)

    await eventually(reward_noted, what="the reward in the new run")
    status = await customer.status()
    assert status.runs == 2 and status.events_this_run == 1  # the duplicate never got in
    assert status.profile.tier == "gold" and status.profile.points_balance == 600
    assert status.profile.birthday == "02-29" and status.next_birthday is not None
    assert status.orders_count == 1 and status.winback_due is not None
    assert [r.reward for r in status.rewards] == ["Welcome gift"]
    assert await customer.steps() == ["points_earned"]
    assert [m.key.split(":")[4] for m in status.messages] == ["points_earned"]  # carried over
