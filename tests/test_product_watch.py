"""ProductWatch against the real dev server: the workflow and the real delivery, product and purchase
activities (a BigCommerce store in the sandbox), on a worker of its own with the bulk task queue's
activity rate limit, as worker.py will run it. Stock is read from the sandbox too, except where a
test scripts the reads to sell the product out between two batches.

Messages are asserted on the sandbox outbox; their references are the message keys
`{workflow id}:{step}:{chain}-{number}:{customer}`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from activities.hydration import StockRef
from activities.rendering import TEMPLATE_DIR, Renderer
from connectors.opentext.sms import sms_encoding, sms_segments
from domain.events import CommerceEvent, CustomerRef, EventType, Platform, ProductPayload, WatchKind
from domain.events import product_workflow_id as workflow_id_of
from domain.notifications import Channel, DeliveryPolicy, Recipient
from domain.preferences import Preferences
from domain.settings import Settings
from domain.watch_policy import WatchPolicy
from store.stores import Stores
from tests.conftest import Served
from tests.shop import eventually
from worker import activity_set
from workflows.product_watch import ProductWatch
from workflows.product_watch_state import ProductWatchInput, Unsubscription, WatchStatus
from workflows.search_attributes import SKU

RATE = 25.0  # marketing sends per second on the test's bulk queue
SLOW_RATE = 5.0

# (store, sku) → the stock the next reads return, in order (the last one repeats); unscripted
# products are read from the sandbox.
STOCK_SCRIPTS: dict[tuple[str, str], list[int | None]] = {}


@dataclass(frozen=True)
class Queues:
    main: str
    bulk: str
    slow_bulk: str


@pytest.fixture(scope="module")
async def queues(client: Client, settings: Settings, sandbox: Served) -> AsyncIterator[Queues]:
    main = f"{settings.task_queue}-watch-{uuid.uuid4().hex[:6]}"
    qs = Queues(main, f"{main}-bulk", f"{main}-bulk-slow")
    async with activity_set(settings) as activities:
        named = {getattr(a, "__name__", ""): a for a in activities}
        read_stock = named["hydrate_stock"]

        @activity.defn(name="hydrate_stock")
        async def scripted_stock(ref: StockRef) -> int | None:
            script = STOCK_SCRIPTS.get((ref.store, ref.sku))
            if script:
                return script.pop(0) if len(script) > 1 else script[0]
            stock: int | None = await read_stock(ref)
            return stock

        reads = [
            named["send_message"],
            named["hydrate_products"],
            named["hydrate_price"],
            named["purchased_since"],
            scripted_stock,
        ]
        workers = [
            Worker(client, task_queue=qs.main, workflows=[ProductWatch], activities=reads),
            Worker(
                client,
                task_queue=qs.bulk,
                activities=[named["send_message"]],
                max_task_queue_activities_per_second=RATE,
            ),
            Worker(
                client,
                task_queue=qs.slow_bulk,
                activities=[named["send_message"]],
                max_task_queue_activities_per_second=SLOW_RATE,
            ),
        ]
        async with workers[0], workers[1], workers[2]:
            yield qs


@pytest.fixture(scope="module")
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


@dataclass
class Product:
    """One SKU of a fresh BigCommerce store in the sandbox, and its ProductWatch."""

    client: Client
    http: httpx.AsyncClient
    sandbox: str
    stores: Stores
    queues: Queues
    sku: str
    policy: WatchPolicy
    store: str = field(default_factory=lambda: f"pw{uuid.uuid4().hex[:8]}")
    serial: int = 0

    @property
    def workflow_id(self) -> str:
        return workflow_id_of(Platform.BIGCOMMERCE, self.store, self.sku)

    # --- the store ---

    async def seed(self, available: int, price: str = "129.00") -> None:
        r = await self.http.put(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/products/{self.sku}",
            json={
                "name": "Trail Shoes",
                "sku": f"TS-{self.sku}",
                "price": float(price),
                "inventory_tracking": "product",
                "inventory_level": available,
                "custom_url": {"url": f"/trail-shoes-{self.sku}/"},
            },
        )
        r.raise_for_status()

    async def set_stock(self, available: int) -> None:
        r = await self.http.put(
            f"{self.sandbox}/stores/{self.store}/v3/catalog/products/{self.sku}",
            json={"inventory_level": available},
            headers={"X-Auth-Token": "t"},
        )
        r.raise_for_status()

    async def bought(self, order_id: int, customer_id: int) -> None:
        """The customer ordered this product (now), as the store's orders will say."""
        order = {
            "customer_id": customer_id,
            "status_id": 11,
            "total_inc_tax": "129.00",
            "currency_code": "USD",
            "billing_address": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
            "products": [
                {"name": "Trail Shoes", "quantity": 1, "price_inc_tax": "129.00", "product_id": int(self.sku)}
            ],
        }
        r = await self.http.put(
            f"{self.sandbox}/sandbox/bigcommerce/{self.store}/orders/{order_id}", json=order
        )
        r.raise_for_status()

    async def opt_in(self, *customers: int) -> None:
        for customer in customers:
            prefs = Preferences(marketing_opt_in=[Channel.EMAIL])
            await self.stores.preferences.put("bigcommerce", self.store, str(customer), prefs)

    # --- events ---

    def event(self, type: EventType, customer: CustomerRef | None = None, **product: Any) -> CommerceEvent:
        self.serial += 1
        return CommerceEvent(
            event_id=f"evt-{self.serial}",
            platform=Platform.BIGCOMMERCE,
            store=self.store,
            type=type,
            occurred_at=datetime.now(UTC),
            customer=customer or CustomerRef(),
            product=ProductPayload(sku=self.sku, **product),
        )

    def watched(
        self, customer: int, kind: WatchKind = WatchKind.BACK_IN_STOCK, phone: str | None = None
    ) -> CommerceEvent:
        """The customer watches by email, or by SMS when a phone is given."""
        who = CustomerRef(
            customer_id=str(customer), email=email(self.store, customer), phone=phone, name=f"Kim {customer}"
        )
        return self.event(EventType.PRODUCT_WATCHED, who, watch=kind, channel="sms" if phone else "email")

    def stock(self, available: int | None) -> CommerceEvent:
        return self.event(EventType.INVENTORY_CHANGED, available=available)

    def price(self, price: str | None) -> CommerceEvent:
        return self.event(EventType.PRICE_CHANGED, price=Decimal(price) if price else None, currency="USD")

    async def send(self, *events: CommerceEvent) -> None:
        """Signal-with-start, as the ingress delivers every event."""
        for event in events:
            await self.client.start_workflow(
                ProductWatch.run,
                ProductWatchInput(
                    platform=Platform.BIGCOMMERCE, store=self.store, sku=self.sku, policy=self.policy
                ),
                id=self.workflow_id,
                task_queue=self.queues.main,
                start_signal="commerce_event",
                start_signal_args=[event],
            )

    # --- what came of it ---

    async def status(self) -> WatchStatus:
        return await self.client.get_workflow_handle(self.workflow_id).query(ProductWatch.status)

    async def settled(self, check: Callable[[WatchStatus], bool] = lambda s: True) -> WatchStatus:
        """Once every event is taken and every message due is sent (and `check` holds)."""

        async def done() -> bool:
            status = await self.status()
            return not status.pending and check(status)

        await eventually(done, what=f"{self.workflow_id} settled")
        return await self.status()

    async def outbox(self, step: str | None = None) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.sandbox}/sandbox/messages")
        r.raise_for_status()
        prefix = f"{self.workflow_id}:{step + ':' if step else ''}"
        return [m for m in r.json() if (m.get("reference") or "").startswith(prefix)]

    async def told(self, step: str) -> list[str]:
        """Who got the step's messages (their email addresses), sorted: a batch goes out at once."""
        return sorted(m["to"] for m in await self.outbox(step))


def email(store: str, customer: int) -> str:
    return f"kim{customer}@{store}.test"


def policy(queues: Queues, **changes: Any) -> WatchPolicy:
    return WatchPolicy(
        batch_size=2,
        bulk_task_queue=queues.bulk,
        low_stock_threshold=3,
        price_drop_percent=Decimal(10),
        merchandising=Recipient(name="Merchandising", email="merch@shop.test"),
        store_url="https://shop.test",
        idle_after=timedelta(hours=1),
    ).model_copy(update=changes)


@pytest.fixture
def product(
    client: Client, http: httpx.AsyncClient, sandbox: Served, stores: Stores, queues: Queues
) -> Callable[..., Awaitable[Product]]:
    async def make(sku: str, available: int, **changes: Any) -> Product:
        p = Product(client, http, sandbox.url, stores, queues, sku, policy(queues, **changes))
        await p.seed(available)
        return p

    return make


Make = Callable[..., Awaitable[Product]]


async def test_a_restock_goes_out_in_batches_skips_buyers_and_stops_when_sold_out_again(
    product: Make,
) -> None:
    p = await product("501", available=0)
    await p.opt_in(1, 2, 3, 4, 5)
    await p.send(p.stock(0), *(p.watched(c) for c in range(1, 6)))
    assert (await p.settled()).waiting_back_in_stock == 5
    await p.bought(9001, customer_id=3)  # while it was out (a backorder): no news for customer 3
    STOCK_SCRIPTS[(p.store, p.sku)] = [5, 5, 0]  # the reads before batches 1, 2 and 3

    await p.send(p.stock(5))
    status = await p.settled(lambda s: s.restocks == 1 and s.stage == "sold_out")
    assert await p.told("back_in_stock") == [email(p.store, c) for c in (1, 2, 4)]
    assert status.restocks == 1 and status.stock == 0
    assert status.waiting_back_in_stock == 1 and status.subscribers == 1  # customer 5 waits on
    assert status.totals.sent == 3 and status.totals.skipped_bought == 1
    batches = [e.summary for e in status.timeline if "batch of 2" in e.summary]
    assert len(batches) == 2, status.timeline
    first = (await p.outbox("back_in_stock"))[0]
    assert "Trail Shoes is back in stock" in first["subject"]
    assert "https://shop.test/trail-shoes-501/" in first["body"]

    STOCK_SCRIPTS[(p.store, p.sku)] = [4]
    await p.send(p.stock(4))
    status = await p.settled(lambda s: s.restocks == 2)
    messages = await p.outbox("back_in_stock")
    assert sorted(m["to"] for m in messages) == [email(p.store, c) for c in (1, 2, 4, 5)]
    assert messages[-1]["reference"].endswith("-2:5")  # restock 2's message to customer 5
    assert status.subscribers == 0 and status.totals.sent == 4


async def test_low_stock_tells_the_restocks_watchers_once_and_alerts_merchandising(product: Make) -> None:
    p = await product("601", available=0)
    await p.opt_in(1, 2, 7)
    await p.send(p.stock(0), p.watched(1), p.watched(2), p.watched(7, WatchKind.PRICE_DROP))
    await p.settled()
    await p.set_stock(20)
    await p.send(p.stock(20))
    await p.settled(lambda s: s.totals.sent == 2)
    told = await p.outbox("back_in_stock")
    assert sorted(m["to"] for m in told) == [email(p.store, 1), email(p.store, 2)]
    assert "Only a few" not in told[0]["body"]

    for level in (3, 2):  # runs low, then lower: one alert, one nudge each
        await p.set_stock(level)
        await p.send(p.stock(level))
        status = await p.settled()
    assert await p.told("low_stock") == [email(p.store, 1), email(p.store, 2)]
    assert "only 3 left" in (await p.outbox("low_stock"))[0]["body"]
    [alert] = await p.outbox("ops:low_stock")
    assert alert["to"] == "merch@shop.test" and "Low stock: Trail Shoes (601)" in alert["subject"]
    assert "down to 3 in stock" in alert["body"]
    [sold_out] = await p.outbox("ops:sold_out")  # the first word was 0: merchandising heard of it
    assert sold_out["to"] == "merch@shop.test" and "Sold out: Trail Shoes (601)" in sold_out["subject"]
    assert status.stage == "low_stock" and len(await p.outbox()) == 6  # nothing for the price watcher


@pytest.mark.parametrize("readable", [True, False], ids=["stock-read", "stock-unreadable"])
async def test_a_restock_that_is_already_low_says_so_in_the_news_itself(
    product: Make, readable: bool
) -> None:
    p = await product("602", available=0)
    await p.opt_in(1)
    await p.send(p.stock(0), p.watched(1))
    await p.settled()
    await p.set_stock(2)
    if not readable:  # the re-read before the batch learns nothing: the event's word must do
        STOCK_SCRIPTS[(p.store, p.sku)] = [None]
    await p.send(p.stock(2))
    await p.settled(lambda s: s.totals.sent == 1)
    [news] = await p.outbox("back_in_stock")
    assert "Only a few are left" in news["body"]
    assert await p.told("low_stock") == []  # not a second message saying the same
    assert len(await p.outbox("ops:low_stock")) == 1


async def test_a_watcher_in_quiet_hours_hears_when_they_end_without_holding_up_the_others(
    product: Make, stores: Stores
) -> None:
    now = datetime.now(UTC)
    quiet_until = now + timedelta(seconds=6)  # the store's nights end in a few seconds
    nights = DeliveryPolicy(
        quiet_hours_start=(now - timedelta(hours=1)).time(), quiet_hours_end=quiet_until.time()
    )
    p = await product("603", available=10, delivery=nights)
    await p.opt_in(1)
    texted = Preferences(marketing_opt_in=[Channel.SMS], time_zone="UTC")
    await stores.preferences.put("bigcommerce", p.store, "2", texted)
    # Sold out, two watchers, restocked: all at once, well inside the quiet hours.
    await p.send(p.stock(0), p.watched(1), p.watched(2, phone="+14155550123"), p.stock(10))

    async def held_back() -> bool:
        totals = (await p.status()).totals
        return totals.deferred == 1 and totals.sent == 1

    await eventually(held_back, what="the email sent and the SMS held back")
    waiting = await p.status()
    assert waiting.announcing and waiting.pending == ["back_in_stock: 1 to tell"]
    status = await p.settled(lambda s: s.totals.sent == 2)
    [sms] = [m for m in await p.outbox("back_in_stock") if m["channel"] == "sms"]
    assert sms["to"] == "+14155550123" and datetime.fromisoformat(sms["received_at"]) >= quiet_until
    assert await p.told("back_in_stock") == sorted([email(p.store, 1), "+14155550123"])
    assert not status.announcing


async def test_price_drops_reach_price_watchers_while_in_stock_only(product: Make) -> None:
    p = await product("701", available=10)
    await p.opt_in(1, 2)
    await p.send(
        p.stock(10),
        p.watched(1, WatchKind.PRICE_DROP),
        p.watched(2),  # back in stock only: no price news
        p.price("100.00"),
        p.price("95.00"),  # 5 %: too small
        p.price("80.00"),  # 15.8 % below 95
    )
    status = await p.settled(lambda s: s.price == "80.00")
    [drop] = await p.outbox("price_drop")
    assert drop["to"] == email(p.store, 1)
    assert (
        "Trail Shoes is now $80.00" in drop["subject"] and "from $95.00 to $80.00 (16% less)" in drop["body"]
    )
    assert any("too small" in e.summary for e in status.timeline)

    await p.set_stock(0)
    await p.send(p.stock(0), p.price("60.00"))
    status = await p.settled(lambda s: s.price == "60.00")
    assert any("ignored: out of stock" in e.summary for e in status.timeline)
    # a change that names no price (BigCommerce's product webhook): the catalog's price is read
    await p.send(p.price(None))
    status = await p.settled(lambda s: s.price is not None and float(s.price) == 129.0)
    assert len(await p.outbox("price_drop")) == 1
    assert len(await p.outbox("ops:sold_out")) == 1  # the sellout, for merchandising
    assert len(await p.outbox()) == 2


async def test_the_holder_of_an_expiring_reservation_is_told_once(product: Make) -> None:
    p = await product("801", available=1)
    holder = CustomerRef(customer_id="5", email="holder@shop.test", name="Ines")  # no marketing opt-in
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    expiring = p.event(EventType.RESERVATION_EXPIRING, holder, reserved_until=until)
    again = p.event(EventType.RESERVATION_EXPIRING, holder, reserved_until=until)  # another event id
    past = p.event(EventType.RESERVATION_EXPIRING, holder, reserved_until=until - timedelta(hours=3))
    await p.send(expiring, again, past)
    status = await p.settled()
    [message] = await p.outbox("reservation_expiring")
    assert (
        message["to"] == "holder@shop.test" and "reservation of Trail Shoes ends soon" in message["subject"]
    )
    assert [m.status for m in status.messages] == ["sent", "sent"]  # the second found the first in the ledger
    assert any("already expired" in e.summary for e in status.timeline)


async def test_continue_as_new_carries_the_watchers_and_nobody_hears_twice(product: Make) -> None:
    p = await product("901", available=0, max_history_events=20, batch_size=3)
    watchers = range(1, 8)
    await p.opt_in(*watchers)
    await p.send(p.stock(0), *(p.watched(c) for c in watchers))
    status = await p.settled(lambda s: s.waiting_back_in_stock == 7)
    assert status.runs > 1, "the history limit should have continued the run as new"
    runs_before = status.runs
    await p.set_stock(9)
    await p.send(p.stock(9))
    status = await p.settled(lambda s: s.totals.sent == 7)
    assert await p.told("back_in_stock") == sorted(email(p.store, c) for c in watchers)
    assert status.runs > runs_before and status.restocks == 1 and status.subscribers == 0
    described = await p.client.get_workflow_handle(p.workflow_id).describe()
    assert described.typed_search_attributes.get(SKU) == p.sku


async def test_duplicate_events_are_ignored_and_a_renewed_watch_stays_one(product: Make) -> None:
    p = await product("902", available=0)
    await p.opt_in(1)
    watch = p.watched(1)
    restock = p.stock(6)
    await p.send(p.stock(0), watch, watch, p.watched(1))  # a retried webhook, then the same wish again
    assert (await p.settled()).subscribers == 1
    await p.set_stock(6)
    await p.send(restock, restock, p.stock(7))  # still in stock: not a second restock
    status = await p.settled(lambda s: s.stock == 7)
    assert await p.told("back_in_stock") == [email(p.store, 1)]
    assert status.restocks == 1


async def test_unsubscribing_ends_a_watch_and_a_told_watcher_may_watch_again(product: Make) -> None:
    p = await product("903", available=0)
    await p.opt_in(1, 2)
    first_watch = p.watched(1)
    await p.send(p.stock(0), first_watch, p.watched(2))
    await p.settled()
    handle = p.client.get_workflow_handle(p.workflow_id)
    await handle.signal(ProductWatch.unsubscribe, Unsubscription(customer_id="2"))
    assert (await p.settled()).subscribers == 1
    await p.set_stock(3)
    await p.send(p.stock(3))
    await p.settled(lambda s: s.totals.sent == 1)
    assert await p.told("back_in_stock") == [email(p.store, 1)]
    await p.send(first_watch)  # the same request after it was told: a new watch, not a duplicate
    assert (await p.settled()).subscribers == 1


async def test_sends_are_paced_by_the_bulk_queues_rate_limit(product: Make) -> None:
    p = await product("904", available=0, batch_size=15)
    p.policy = p.policy.model_copy(update={"bulk_task_queue": p.queues.slow_bulk})
    watchers = range(1, 16)
    await p.opt_in(*watchers)
    await p.send(p.stock(0), *(p.watched(c) for c in watchers))
    await p.settled()
    await p.set_stock(50)
    await p.send(p.stock(50))
    await p.settled(lambda s: s.totals.sent == 15)
    received = sorted(datetime.fromisoformat(m["received_at"]) for m in await p.outbox("back_in_stock"))
    spread = (received[-1] - received[0]).total_seconds()
    # 15 sends at 5 per second: after a first burst, at least two more seconds' worth.
    assert spread >= 1.2, f"15 sends in {spread:.2f} s at {SLOW_RATE}/s"


async def test_an_entity_ends_once_idle_without_watchers_and_never_while_someone_waits(product: Make) -> None:
    idle = await product("905", available=4, idle_after=timedelta(seconds=1))
    watched = await product("906", available=0, idle_after=timedelta(seconds=1))
    told = await product("907", available=3, idle_after=timedelta(seconds=1))
    await told.opt_in(1)
    await idle.send(idle.stock(4))
    await watched.send(watched.stock(0), watched.watched(1))
    await told.send(told.stock(0), told.watched(1), told.stock(3))  # its only watcher hears, then idles

    for ended, sent in ((idle, 0), (told, 1)):
        result = await ended.client.get_workflow_handle(ended.workflow_id, result_type=WatchStatus).result()
        assert result.subscribers == 0 and result.totals.sent == sent
        assert "ended" in result.timeline[-1].summary
    described = await watched.client.get_workflow_handle(watched.workflow_id).describe()
    assert described.status is WorkflowExecutionStatus.RUNNING
    assert (await watched.status()).subscribers == 1
    await idle.send(idle.stock(0))  # a later event starts the entity afresh
    assert (await idle.settled()).stage == "sold_out"


# --- templates -----------------------------------------------------------------------------------

PRODUCT_TEMPLATES = sorted(
    tuple(path.name.split(".")[:3]) for path in (TEMPLATE_DIR / "product").glob("*.j2")
)


def product_context(**changes: Any) -> dict[str, Any]:
    product = {
        "sku": "ESP-1",
        "name": "Espresso <Machine>",
        "url": "https://abc123.example/espresso-machine/",
        "price": "999.00",
        "previous_price": "1199.50",
        "drop_percent": 17,
        "currency": "EUR",
        "available": 3,
        "few_left": True,
        "threshold": 5,
        "reserved_until": "2026-11-28T18:00:00+00:00",
    }
    product.update(changes)
    return {"product": product, "customer": {"name": "Zoë & Co"}, "link": product["url"]}


@pytest.mark.parametrize(("step", "channel", "locale"), PRODUCT_TEMPLATES, ids=str)
def test_every_product_template_renders(step: str, channel: str, locale: str) -> None:
    for ctx in (
        product_context(),
        product_context(url=None, available=None, few_left=False, reserved_until=None),
    ):
        rendered = Renderer().render("product", step, Channel(channel), locale, ctx)
        assert rendered.locale == locale and "Espresso <Machine>" in (rendered.subject or "") + rendered.text
        if channel == "email":
            assert rendered.html and "Espresso &lt;Machine&gt;" in rendered.html
            assert step.startswith("team_") or "Zoë &amp; Co" in rendered.html
        if channel == "sms":
            assert sms_encoding(rendered.text) == "GSM-7" and sms_segments(rendered.text) == 1, rendered.text
        if channel == "push":
            assert len(rendered.subject or "") <= 50 and len(rendered.text) <= 150


def test_the_product_messages_exist_for_every_locale() -> None:
    names = {(step, channel) for step, channel, _ in PRODUCT_TEMPLATES}
    for locale in ("en", "de", "fr", "es"):
        assert {(s, c) for s, c, loc in PRODUCT_TEMPLATES if loc == locale} == names
    assert {step for step, _ in names} == {
        "back_in_stock",
        "low_stock",
        "price_drop",
        "reservation_expiring",
        "team_low_stock",
        "team_sold_out",
    }
