"""AbandonedCart against the real dev server: through signed webhooks for the paths a store sees,
and started directly with tight policies where a path needs exact timings (quiet hours, expiry)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from temporalio.client import Client

from domain.events import Platform, cart_workflow_id
from domain.notifications import Channel, DeliveryPolicy
from domain.policies import CartPolicy, CartStep
from domain.settings import Settings
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from workflows.abandoned_cart import AbandonedCart, AbandonedCartInput, CartStatus


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, fast_ingress: Served) -> Shop:
    return Shop(http, sandbox.url, fast_ingress.url, WEBHOOK_SECRET, API_TOKEN)


async def cart_status(client: Client, shop: Shop, cart_id: str) -> CartStatus:
    handle = client.get_workflow_handle(cart_workflow_id("bigcommerce", shop.store, cart_id))
    return await handle.query(AbandonedCart.status)


# A loaded 2-core machine can be minutes behind the journeys' compressed timers: every wait below is
# on the workflow (its result or its query) with a deadline far beyond a healthy run's few seconds.
PATIENCE = 240.0


async def settled(client: Client, shop: Shop, cart_id: str, state: str) -> CartStatus:
    """Every outcome but "waiting" ends the journey: its result is the final status."""
    handle = client.get_workflow_handle(
        cart_workflow_id("bigcommerce", shop.store, cart_id), result_type=CartStatus
    )
    status = await asyncio.wait_for(handle.result(), timeout=PATIENCE)
    assert status.outcome.state == state, (status.outcome, [e.summary for e in status.timeline])
    return status


def steps_of(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["reference"]).rsplit(":", 1)[-1] for m in messages]


async def test_a_cart_converted_after_the_first_reminder_is_recovered_and_hears_nothing_more(
    shop: Shop, client: Client
) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart)
    await shop.opt_in(7, "email", "sms", "push")
    assert (await shop.cart_event("created", cart)).json()["workflow_ids"] == []  # no journey yet
    assert (await shop.cart_event("abandoned", cart)).status_code == 202
    prefix = cart_workflow_id("bigcommerce", shop.store, cart)

    async def first_reminder() -> bool:
        return len(await shop.journey_messages(prefix)) == 1

    await eventually(first_reminder, timeout=PATIENCE, what="the first reminder")
    [reminder] = await shop.journey_messages(prefix)
    assert reminder["channel"] == "email"  # no push token: the policy's fallback
    assert "Trail Shoes" in str(reminder["body"]) and "cart.php" in str(reminder["body"])

    await shop.cart_event("converted", cart, order_id=4242)
    status = await settled(client, shop, cart, "recovered")
    assert status.outcome.after_step == "first_reminder" and status.outcome.order_id == "4242"
    result = await client.get_workflow_handle(prefix, result_type=CartStatus).result()
    assert result.outcome.state == "recovered"
    assert steps_of(await shop.journey_messages(prefix)) == ["first_reminder"]
    found = [wf.id async for wf in client.list_workflows(f"CartId = '{cart}' AND Stage = 'recovered'")]
    assert found == [prefix]


async def test_without_marketing_consent_the_journey_exits(shop: Shop, client: Client) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=8)
    await shop.cart_event("abandoned", cart)
    status = await settled(client, shop, cart, "exited")
    assert "no marketing consent" in (status.outcome.reason or "")
    assert status.messages[0].status == "suppressed"


async def test_a_cart_nobody_can_be_reminded_of_ends_at_once(shop: Shop, client: Client) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=0, email=None)
    await shop.cart_event("abandoned", cart)
    status = await settled(client, shop, cart, "exited")
    assert status.outcome.reason == "no reachable customer" and status.messages == []


async def test_a_deleted_cart_exits(shop: Shop, client: Client) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=9)
    await shop.opt_in(9, "email")
    await shop.cart_event("abandoned", cart)
    await eventually(lambda: _has_messages(shop, cart, 1), timeout=PATIENCE, what="first reminder")
    await shop.delete_cart(cart)
    await shop.cart_event("deleted", cart)
    status = await settled(client, shop, cart, "exited")
    assert status.outcome.reason == "cart deleted"


async def _has_messages(shop: Shop, cart: str, n: int) -> bool:
    return len(await shop.journey_messages(cart_workflow_id("bigcommerce", shop.store, cart))) >= n


async def start_cart(client: Client, settings: Settings, store: str, cart: str, policy: CartPolicy) -> None:
    await client.start_workflow(
        AbandonedCart.run,
        AbandonedCartInput(platform=Platform.BIGCOMMERCE, store=store, cart_id=cart, policy=policy),
        id=cart_workflow_id("bigcommerce", store, cart),
        task_queue=settings.task_queue,
    )


async def test_the_whole_sequence_then_expiry(shop: Shop, client: Client, settings: Settings) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=10, amount="250.00")
    await shop.opt_in(10, "email", "sms")
    policy = CartPolicy(
        steps=[
            CartStep(
                name="first_reminder", after=timedelta(seconds=1), channels=[Channel.PUSH, Channel.EMAIL]
            ),
            CartStep(name="cart_contents", after=timedelta(seconds=2), channels=[Channel.EMAIL]),
            CartStep(
                name="incentive",
                after=timedelta(seconds=3),
                channels=[Channel.SMS],
                min_cart_value=Decimal(100),
                incentive=True,
            ),
        ],
        incentive_enabled=True,
        incentive_code="COMEBACK10",
        expire_after=timedelta(seconds=1),
    )
    await start_cart(client, settings, shop.store, cart, policy)
    status = await settled(client, shop, cart, "expired")
    messages = await shop.journey_messages(cart_workflow_id("bigcommerce", shop.store, cart))
    assert steps_of(messages) == ["first_reminder", "cart_contents", "incentive"]
    assert messages[2]["channel"] == "sms" and "COMEBACK10" in str(messages[2]["text"])
    assert status.outcome.after_step == "incentive"


async def test_small_carts_and_stores_without_incentives_skip_the_incentive(
    shop: Shop, client: Client, settings: Settings
) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=11, amount="40.00")
    await shop.opt_in(11, "email", "sms")
    policy = CartPolicy(
        steps=[
            CartStep(
                name="incentive",
                after=timedelta(seconds=1),
                channels=[Channel.SMS],
                min_cart_value=Decimal(100),
                incentive=True,
            )
        ],
        incentive_enabled=True,
        incentive_code="X",
        expire_after=timedelta(seconds=1),
    )
    await start_cart(client, settings, shop.store, cart, policy)
    status = await settled(client, shop, cart, "expired")
    assert status.messages == []
    assert any("below 100" in e.summary for e in status.timeline)


async def test_a_marketing_sms_inside_quiet_hours_waits_for_them_to_end(
    shop: Shop, client: Client, settings: Settings
) -> None:
    """Quiet hours are a window of the recipient's local time; here it ends a few seconds from now, so
    the message due now (inside it, as at 23:30 in a 21:00–08:00 window) is held until then."""
    zone = "America/New_York"
    local = datetime.now(ZoneInfo(zone))
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=12)
    await shop.opt_in(12, "sms", time_zone=zone)
    quiet = DeliveryPolicy(
        quiet_hours_start=(local - timedelta(hours=1)).time(),
        quiet_hours_end=(local + timedelta(seconds=10)).time(),
    )
    policy = CartPolicy(
        steps=[CartStep(name="first_reminder", after=timedelta(0), channels=[Channel.SMS])],
        expire_after=timedelta(seconds=1),
        delivery=quiet,
    )
    await start_cart(client, settings, shop.store, cart, policy)

    async def waiting() -> bool:
        return bool((await cart_status(client, shop, cart)).waiting)

    await eventually(waiting, timeout=PATIENCE, what="the message held by quiet hours")
    held = (await cart_status(client, shop, cart)).waiting[0]
    assert held.channel == "sms" and "quiet hours" in held.reason
    assert held.until.astimezone(ZoneInfo(zone)).time() == quiet.quiet_hours_end  # when the window ends
    assert await shop.journey_messages(cart_workflow_id("bigcommerce", shop.store, cart)) == []

    status = await settled(client, shop, cart, "expired")
    [sms] = await shop.journey_messages(cart_workflow_id("bigcommerce", shop.store, cart))
    sent_at = datetime.fromisoformat(str(sms["received_at"]))
    assert sent_at >= held.until - timedelta(seconds=1)
    assert status.waiting == [] and any("waiting, quiet hours" in e.summary for e in status.timeline)


async def test_a_cart_converted_while_its_reminder_is_on_the_way_is_recovered_by_that_reminder(
    shop: Shop, client: Client, settings: Settings, http: httpx.AsyncClient
) -> None:
    cart = uuid.uuid4().hex
    await shop.seed_cart(cart, customer_id=12)
    await shop.opt_in(12, "email")
    policy = CartPolicy(
        steps=[CartStep(name="first_reminder", after=timedelta(seconds=0.1), channels=[Channel.EMAIL])],
        expire_after=timedelta(seconds=30),
    )
    # OpenText answers slowly: the conversion arrives while the reminder's send is in flight
    await http.post(f"{shop.sandbox}/sandbox/faults", json={"latency_ms": 2500})
    try:
        await start_cart(client, settings, shop.store, cart, policy)
        handle = client.get_workflow_handle(cart_workflow_id("bigcommerce", shop.store, cart))

        async def sending() -> bool:
            pending = (await handle.describe()).raw_description.pending_activities
            return any(a.activity_type.name == "send_message" for a in pending)

        await eventually(sending, timeout=PATIENCE, what="the reminder's send in flight")
        await shop.cart_event("converted", cart, order_id=4343)
        status = await settled(client, shop, cart, "recovered")
    finally:
        await http.post(f"{shop.sandbox}/sandbox/faults", json={})
    workflow_id = cart_workflow_id("bigcommerce", shop.store, cart)
    result = await client.get_workflow_handle(workflow_id, result_type=CartStatus).result()
    assert result.outcome.after_step == "first_reminder", [(e.kind, e.summary) for e in result.timeline]
    assert result.outcome.order_id == "4343"
    assert status.outcome.state == "recovered"

    async def stage_recovered() -> bool:
        found = [wf.id async for wf in client.list_workflows(f"CartId = '{cart}' AND Stage = 'recovered'")]
        return found == [workflow_id]

    await eventually(stage_recovered, timeout=PATIENCE, what="the Stage search attribute left at recovered")
