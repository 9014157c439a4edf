"""Operations alerts against the real dev server, the real delivery activity and the sandbox outbox:
a burst of alerts is one digest with its count, a later burst its own digest, each kind reaches its
team by its channels, and cancellations alert only above the spike threshold, once per window.

The journey runs on its own worker and task queue here (started like the ingress does, with
signal-with-start), so these tests do not depend on worker.py's registrations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from domain.alert_policy import AlertPolicy
from domain.events import AlertKind, AlertPayload, CommerceEvent, EventType, Platform
from domain.settings import Settings
from tests.conftest import Served
from tests.shop import eventually
from worker import activity_set
from workflows.ops_alerts import AlertsStatus, OpsAlerts, OpsAlertsInput

ON_CALL_PHONE = "+14155550199"
MERCHANDISING = "merch@shop.test"
ACCOUNT_TEAM = "vip@shop.test"
WINDOW = 6.0  # seconds: every burst in these tests is posted well within it


@pytest.fixture(scope="module")
async def alerts_queue(client: Client, settings: Settings, sandbox: Served) -> AsyncIterator[str]:
    queue = f"alerts-test-{uuid.uuid4().hex[:6]}"
    async with (
        activity_set(settings) as activities,
        Worker(client, task_queue=queue, workflows=[OpsAlerts], activities=activities),
    ):
        yield queue


@pytest.fixture
def store() -> str:
    return f"s{uuid.uuid4().hex[:8]}"


def alert_policy(settings: Settings, **overrides: Any) -> AlertPolicy:
    """The store's policy as the starter builds it: teams from the settings, a window of seconds."""
    return AlertPolicy.from_settings(
        settings.model_copy(
            update={
                "time_scale": 1.0,
                "alert_window_minutes": WINDOW / 60,
                "ops_phone": ON_CALL_PHONE,
                "merchandising_email": MERCHANDISING,
                "account_team_email": ACCOUNT_TEAM,
                **overrides,
            }
        )
    )


def alert(
    store: str,
    kind: AlertKind,
    *,
    key: str | None = None,
    event_id: str | None = None,
    detail: str | None = None,
    order_id: str | None = None,
    sku: str | None = None,
    amount: str | None = None,
) -> CommerceEvent:
    return CommerceEvent(
        event_id=event_id or uuid.uuid4().hex,
        platform=Platform.BIGCOMMERCE,
        store=store,
        type=EventType.OPS_ALERT,
        occurred_at=datetime.now(UTC),
        alert=AlertPayload(
            kind=kind,
            key=key or kind.value,
            detail=detail,
            order_id=order_id,
            sku=sku,
            amount=Decimal(amount) if amount else None,
            currency="USD" if amount else None,
        ),
        raw_scope="store/order/transaction/created",
    )


async def post(client: Client, queue: str, policy: AlertPolicy, event: CommerceEvent) -> str:
    """What the ingress does with an alert: signal-with-start on the alert key's journey."""
    assert event.alert is not None
    workflow_id = event.workflow_id()
    await client.start_workflow(
        OpsAlerts.run,
        OpsAlertsInput(platform=event.platform, store=event.store, key=event.alert.key, policy=policy),
        id=workflow_id,
        task_queue=queue,
        start_signal="commerce_event",
        start_signal_args=[event],
    )
    return workflow_id


async def outbox(sandbox: Served, prefix: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
    return [m for m in messages if str(m.get("reference") or "").startswith(prefix + ":")]


async def status(client: Client, workflow_id: str) -> AlertsStatus:
    return await client.get_workflow_handle(workflow_id).query(OpsAlerts.status)


async def messages_after_quiet(sandbox: Served, workflow_id: str, n: int) -> list[dict[str, Any]]:
    """Wait for `n` messages, then one more window: a second digest would have come by then."""
    await eventually(lambda: _at_least(sandbox, workflow_id, n), timeout=WINDOW * 4, what=f"{n} alert(s)")
    await asyncio.sleep(WINDOW + 2)
    return await outbox(sandbox, workflow_id)


async def _at_least(sandbox: Served, workflow_id: str, n: int) -> bool:
    return len(await outbox(sandbox, workflow_id)) >= n


async def test_a_burst_of_fifty_gateway_errors_is_one_alert_with_the_count(
    client: Client, settings: Settings, sandbox: Served, alerts_queue: str, store: str
) -> None:
    policy = alert_policy(settings)
    burst = [
        alert(
            store,
            AlertKind.PAYMENT_GATEWAY_ERROR,
            detail=f"capture failed: 2001 Card declined (attempt {n})",
            order_id=str(2000 + n),
        )
        for n in range(50)
    ]
    retried = burst[:5]  # the platform sends some of them twice: the same event ids again
    ids = await asyncio.gather(*(post(client, alerts_queue, policy, e) for e in [*burst, *retried]))
    workflow_id = ids[0]
    assert set(ids) == {f"alerts:bigcommerce:{store}:payment_gateway_error"}

    collecting = await status(client, workflow_id)
    assert collecting.stage == "collecting" and collecting.window is not None

    [sent] = await messages_after_quiet(sandbox, workflow_id, 1)
    assert sent["channel"] == "sms" and sent["to"] == ON_CALL_PHONE  # no on-call push token: SMS
    assert f"50 x Payment gateway errors in store {store}" in sent["text"]
    assert "capture failed: 2001 Card declined" in sent["text"]

    done = await status(client, workflow_id)
    assert (done.events, done.windows_sent, done.stage, done.team) == (50, 1, "idle", "on_call")
    assert done.kind is AlertKind.PAYMENT_GATEWAY_ERROR and done.current_count == 0
    assert [m.status.value in ("sent", "delivered") for m in done.messages] == [True]  # the receipt may be in
    assert sum(1 for e in done.timeline if e.kind == "event") == 50


async def test_a_later_burst_is_its_own_digest_counted_on_across_continue_as_new(
    client: Client, settings: Settings, sandbox: Served, alerts_queue: str, store: str
) -> None:
    policy = alert_policy(settings).model_copy(update={"windows_per_run": 1})
    key = "promotion_misconfigured:BLACKFRIDAY"

    def misconfigured(n: int) -> CommerceEvent:
        return alert(store, AlertKind.PROMOTION_MISCONFIGURED, key=key, detail=f"coupon rule {n} overlaps")

    first = await asyncio.gather(*(post(client, alerts_queue, policy, misconfigured(n)) for n in range(3)))
    workflow_id = first[0]
    await eventually(lambda: _at_least(sandbox, workflow_id, 1), timeout=WINDOW * 4, what="digest 1")
    first_run = (await client.get_workflow_handle(workflow_id).describe()).run_id

    await asyncio.gather(*(post(client, alerts_queue, policy, misconfigured(n)) for n in range(3, 5)))
    one, two = await messages_after_quiet(sandbox, workflow_id, 2)

    assert one["to"] == two["to"] == MERCHANDISING and one["channel"] == "email"
    assert "Promotion misconfigured: 3 in store" in one["subject"]
    assert "Promotion misconfigured: 2 in store" in two["subject"]
    assert "coupon rule 3 overlaps" in two["body"] and "coupon rule 3" not in one["body"]
    assert one["reference"] != two["reference"]

    handle = client.get_workflow_handle(workflow_id)
    assert (await handle.describe()).run_id != first_run  # the first run continued as new ...
    carried = await status(client, workflow_id)
    assert (carried.windows_sent, carried.window_no, carried.events) == (2, 2, 5)  # ... with its counts


async def test_each_kind_reaches_its_team_by_the_team_s_channels(
    client: Client, settings: Settings, sandbox: Served, alerts_queue: str, store: str
) -> None:
    policy = alert_policy(settings)
    low = alert(store, AlertKind.INVENTORY_LOW, key="inventory_low:MUG-1", sku="MUG-1", detail="3 left")
    vip = alert(store, AlertKind.VIP_PURCHASE, order_id="1042", amount="2499.00", detail="Gold tier customer")
    checkout = alert(store, AlertKind.CHECKOUT_FAILED, detail="shipping quote service timed out")
    ids = await asyncio.gather(*(post(client, alerts_queue, policy, e) for e in (low, vip, checkout)))

    for workflow_id in ids:
        await eventually(partial(_at_least, sandbox, workflow_id, 1), timeout=WINDOW * 4, what=workflow_id)
    [merch] = await outbox(sandbox, ids[0])
    [accounts] = await outbox(sandbox, ids[1])
    [on_call] = await outbox(sandbox, ids[2])

    assert (merch["channel"], merch["to"]) == ("email", MERCHANDISING)
    assert "Low inventory: 1 in store" in merch["subject"] and "SKU MUG-1" in merch["body"]
    assert (accounts["channel"], accounts["to"]) == ("email", ACCOUNT_TEAM)
    assert "VIP purchases: 1 in store" in accounts["subject"] and "$2,499.00" in accounts["body"]
    assert (on_call["channel"], on_call["to"]) == ("sms", ON_CALL_PHONE)
    assert "Checkout failures" in on_call["text"] and "shipping quote service timed out" in on_call["text"]


async def test_cancellations_alert_only_above_the_threshold_and_once_per_window(
    client: Client, settings: Settings, sandbox: Served, alerts_queue: str, store: str
) -> None:
    policy = alert_policy(
        settings, cancellation_spike_count=3, cancellation_spike_minutes=2.0, alert_window_minutes=0.05
    )

    def cancelled(order_id: int) -> CommerceEvent:
        return alert(store, AlertKind.CANCELLATION, order_id=str(order_id), detail="cancelled by customer")

    ids = [await post(client, alerts_queue, policy, cancelled(n)) for n in (3001, 3002, 3003)]
    workflow_id = ids[0]
    await asyncio.sleep(3 * 2 + 2)  # an alert window twice over and a margin: at the threshold, nothing
    assert await outbox(sandbox, workflow_id) == []
    counting = await status(client, workflow_id)
    assert (counting.current_count, counting.spike_threshold, counting.windows_sent) == (3, 3, 0)

    await post(client, alerts_queue, policy, cancelled(3004))  # above it: one alert
    await eventually(lambda: _at_least(sandbox, workflow_id, 1), timeout=20, what="the spike alert")
    for n in (3005, 3006):  # the spike goes on, within the same window: no second alert
        await post(client, alerts_queue, policy, cancelled(n))
    await asyncio.sleep(3 * 2 + 2)

    [spike] = await outbox(sandbox, workflow_id)
    assert (spike["channel"], spike["to"]) == ("sms", ON_CALL_PHONE)
    assert f"Cancellation spike in store {store}: 4 orders cancelled within 2 min" in spike["text"]
    after = await status(client, workflow_id)
    assert (after.windows_sent, after.current_count) == (1, 6)


async def test_an_idle_journey_ends_and_the_next_alert_starts_a_fresh_one_that_still_alerts(
    client: Client, settings: Settings, sandbox: Served, alerts_queue: str, store: str
) -> None:
    policy = alert_policy(settings, alert_window_minutes=0.05).model_copy(
        update={"idle_after": timedelta(seconds=2)}
    )
    workflow_id = await post(
        client, alerts_queue, policy, alert(store, AlertKind.CATALOG_UPDATE_FAILED, detail="feed 1 rejected")
    )
    ended = await client.get_workflow_handle(workflow_id, result_type=AlertsStatus).result()
    assert ended.windows_sent == 1 and ended.stage == "idle"

    await post(
        client, alerts_queue, policy, alert(store, AlertKind.CATALOG_UPDATE_FAILED, detail="feed 2 rejected")
    )
    await eventually(lambda: _at_least(sandbox, workflow_id, 2), timeout=20, what="the second run's alert")
    first, second = await outbox(sandbox, workflow_id)
    assert "feed 1 rejected" in first["body"] and "feed 2 rejected" in second["body"]


def test_an_on_call_device_hears_payment_alerts_by_push_first() -> None:
    policy = AlertPolicy.from_settings(Settings(ops_push_token="device-token-1", ops_phone="+14155550199"))
    name, team, channels = policy.route_for(AlertKind.PAYMENT_GATEWAY_ERROR)
    assert name == "on_call" and team.push_token == "device-token-1"
    assert channels[0] == "push"
    assert (
        AlertPolicy.from_settings(Settings()).route_for(AlertKind.PAYMENT_GATEWAY_ERROR)[1].push_token is None
    )
