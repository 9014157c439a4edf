"""Record the replay corpus: the main path of every workflow type, played through the real ingress the
way each platform would (signed webhooks, the preferences, campaigns and subscriptions APIs, OpenText's
inbound callback), each journey exported with `starter.history.export_histories` once it reached the
end of its path.

Not collected by `make test` (the name does not start with `test_`): run it on purpose,

    .venv/bin/pytest tests/record_corpus.py -p no:cacheprovider -q      (make record-histories)

Store, order, cart and case ids are fixed, so a re-run names the same files. An existing file is kept,
never overwritten: a workflow change that breaks a recorded history is patched with
`workflow.patched(...)`, not re-recorded away. `TIDINGS_RECORD_OVERWRITE=1` writes them anyway (for a
new recording of a path, reviewed like any other change to the corpus).

Stores: `corpus-sfcc`, `corpus-sap`, `corpus-bigcommerce` (one per platform), `corpus-alerts` (SFCC,
whose cancellations nothing else counts) and `corpus-campaign` (SFCC, whose customers are exactly the
campaigns' audience). Every scenario has its own customer, phone and email, so no conversation,
consent or frequency cap of one scenario reaches into another.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from temporalio.client import Client

from connectors.opentext.callbacks import inbound_payload
from connectors.sap_commerce import simulate as sap_simulate
from connectors.sap_commerce.webhooks import CUSTOMER_IO
from connectors.sfcc.simulate import body_of, envelope
from domain.account_policy import AccountPolicy
from domain.campaign import CampaignStatus
from domain.events import (
    CaseKind,
    OrderStage,
    account_workflow_id,
    alerts_workflow_id,
    campaign_workflow_id,
    cart_workflow_id,
    customer_workflow_id,
    order_workflow_id,
    pickup_workflow_id,
    product_workflow_id,
    review_workflow_id,
)
from domain.notifications import Channel, InboundMessage, MessageResult
from domain.settings import Settings
from starter.history import export_histories, history_filename
from starter.ingress import create_app as create_ingress
from store.ledger import hash_address
from store.stores import Stores
from tests.conftest import (
    API_TOKEN,
    CALLBACK_SECRET,
    FAST_SCALE,
    SAP_PASSWORD,
    SAP_USER,
    SFCC_SECRET,
    WEBHOOK_SECRET,
    Served,
    free_port,
)
from tests.platforms.bigcommerce import BigCommerceShop
from tests.platforms.sap import SapShop
from tests.platforms.sfcc import SfccShop
from tests.shop import eventually
from workflows.abandoned_cart import AbandonedCart, CartStatus
from workflows.account_message import AccountStatus
from workflows.campaign import Campaign
from workflows.consent_reply import ConsentReplyStatus
from workflows.customer_lifecycle import CustomerLifecycle, LifecycleStatus
from workflows.ops_alerts import AlertsStatus
from workflows.order_lifecycle import OrderStatus
from workflows.pickup import PickupStatus
from workflows.product_watch import ProductWatch
from workflows.review_request import ReviewStatus
from workflows.service_case import CaseStatus, ServiceCase

# Another folder to try a recording out first (nothing there is replayed by `make test`).
HISTORIES = Path(os.environ.get("TIDINGS_RECORD_DIR") or Path(__file__).parent / "histories")
OVERWRITE = os.environ.get("TIDINGS_RECORD_OVERWRITE") == "1"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}

SFCC_STORE = "corpus-sfcc"
SAP_STORE = "corpus-sap"
BC_STORE = "corpus-bigcommerce"
ALERTS_STORE = "corpus-alerts"
CAMPAIGN_STORE = "corpus-campaign"

# The recording ingresses' time compression (see the fixtures below).
ALERTS_SCALE = 0.0001  # alerts idle out after 24 h → 8.6 s, so their runs complete
ALERT_WINDOW_MINUTES = 800.0  # × ALERTS_SCALE: a digest window, and the spike's sliding window, of 4.8 s
SPIKE_COUNT = 3  # more cancellations than this within the window are a spike


# ---- ingresses ------------------------------------------------------------------------------------


async def _serve(client: Client, settings: Settings) -> AsyncIterator[Served]:
    async def same_client() -> Client:
        return client

    async with Served(create_ingress(settings, same_client), settings.ingress_port) as served:
        yield served


@pytest.fixture(scope="module")
async def fast(client: Client, settings: Settings, worker: None) -> AsyncIterator[Served]:
    """`fast_ingress`'s compression (days in seconds) with the shipping SLA left long: at FAST_SCALE the
    48 h SLA is 3.5 s, and whether a recorded order raced it would depend on the machine's speed."""
    days = settings.model_copy(
        update={"time_scale": FAST_SCALE, "ship_sla_hours": 4800.0, "ingress_port": free_port()}
    )
    async for served in _serve(client, days):
        yield served


@pytest.fixture(scope="module")
async def alerts(client: Client, settings: Settings, worker: None) -> AsyncIterator[Served]:
    """An ingress whose alert journeys collect for a few seconds and complete when idle."""
    seconds = settings.model_copy(
        update={
            "time_scale": ALERTS_SCALE,
            "alert_window_minutes": ALERT_WINDOW_MINUTES,
            "cancellation_spike_count": SPIKE_COUNT,
            "cancellation_spike_minutes": ALERT_WINDOW_MINUTES,
            "ingress_port": free_port(),
        }
    )
    async for served in _serve(client, seconds):
        yield served


# ---- the platforms, at fixed store ids ------------------------------------------------------------


class FixedStore:
    """The store doubles pick a fresh store id in their constructors (and may build their seeding
    URLs from it there); the corpus needs the same id on every run, so these ignore the pick."""

    fixed_store: ClassVar[str]

    @property
    def store(self) -> str:
        return self.fixed_store

    @store.setter
    def store(self, fresh: str) -> None:
        pass


class CorpusSfcc(FixedStore, SfccShop):
    fixed_store = SFCC_STORE


class CorpusAlertsSfcc(FixedStore, SfccShop):
    fixed_store = ALERTS_STORE


class CorpusCampaignSfcc(FixedStore, SfccShop):
    fixed_store = CAMPAIGN_STORE


class CorpusSap(FixedStore, SapShop):
    fixed_store = SAP_STORE


class CorpusBigCommerce(FixedStore, BigCommerceShop):
    fixed_store = BC_STORE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop.store = BC_STORE  # the BigCommerce `Shop` inside builds its URLs from its own id


def sfcc(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, shop: type[SfccShop] = CorpusSfcc
) -> SfccShop:
    return shop(http, sandbox.url, ingress.url, SFCC_SECRET)


def sap(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> SapShop:
    return CorpusSap(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)


def bigcommerce(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> BigCommerceShop:
    return CorpusBigCommerce(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)


async def post_sfcc(shop: SfccShop, event_type: str, data: dict[str, Any], event_id: str) -> httpx.Response:
    """An SFCC envelope with a fixed event id (account journeys carry it in their workflow id)."""
    return await shop.post_body(body_of(envelope(event_type, shop.store, data, event_id=event_id)))


# ---- helpers --------------------------------------------------------------------------------------


async def preferences(
    http: httpx.AsyncClient, ingress: Served, platform: str, store: str, customer: str, **prefs: Any
) -> None:
    r = await http.put(
        f"{ingress.url}/customers/{platform}/{store}/{customer}/preferences", json=prefs, headers=AUTH
    )
    assert r.status_code == 200, r.text


async def outbox(http: httpx.AsyncClient, sandbox: Served, prefix: str) -> list[dict[str, Any]]:
    r = await http.get(f"{sandbox.url}/sandbox/messages")
    r.raise_for_status()
    return [m for m in r.json() if str(m.get("reference") or "").startswith(prefix)]


async def sent(
    http: httpx.AsyncClient, sandbox: Served, prefix: str, n: int, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """The journey's messages once at least `n` reached the outbox (each step before the next one)."""

    async def enough() -> bool:
        return len(await outbox(http, sandbox, prefix)) >= n

    await eventually(enough, timeout=timeout, what=f"{n} message(s) {prefix}")
    return await outbox(http, sandbox, prefix)


def steps(messages: list[MessageResult], workflow_id: str) -> list[str]:
    """The steps of a journey's messages (their keys are `{workflow_id}:{step}`)."""
    return [m.key.removeprefix(f"{workflow_id}:") for m in messages]


async def finished(client: Client, workflow_id: str, result_type: type[Any], timeout: float = 60.0) -> Any:
    """The journey's result once its run completed."""
    handle = client.get_workflow_handle(workflow_id, result_type=result_type)
    return await asyncio.wait_for(handle.result(), timeout)


async def idle(client: Client, workflow_id: str) -> None:
    """A running journey with nothing in flight (no activity, no workflow task), twice in a row: its
    history ends where it waits, not half way through a step."""
    quiet = 0

    async def settled() -> bool:
        nonlocal quiet
        raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
        busy = bool(raw.pending_activities) or raw.HasField("pending_workflow_task")
        quiet = 0 if busy else quiet + 1
        return quiet >= 2

    await eventually(settled, what=f"{workflow_id} idle")


# ---- exporting ------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, client: Client, capsys: pytest.CaptureFixture[str]) -> None:
        self.client = client
        self.capsys = capsys

    async def save(self, *workflow_ids: str, earlier: str | None = None) -> None:
        """Export each journey's history unless the corpus has it. `earlier`: a glob naming earlier
        recordings of the same path, for a journey whose id is not the same on every run."""
        for workflow_id in workflow_ids:
            path = HISTORIES / history_filename(workflow_id)
            existing = sorted({path, *HISTORIES.glob(earlier)} if earlier else {path})
            existing = [p for p in existing if p.exists()]
            if existing and not OVERWRITE:
                self._say(f"kept   {existing[0].name} (exists; TIDINGS_RECORD_OVERWRITE=1 replaces it)")
                continue
            for old in existing:
                old.unlink()
            [written] = await export_histories(self.client, [workflow_id], HISTORIES)
            self._say(f"wrote  {written.name}")

    def _say(self, line: str) -> None:
        with self.capsys.disabled():
            print(f"\n[corpus] {line}", end="")


@pytest.fixture
def recorder(client: Client, capsys: pytest.CaptureFixture[str]) -> Recorder:
    return Recorder(client, capsys)


# ---- OrderLifecycle and ReviewRequest ---------------------------------------------------------------


async def test_sfcc_order_placed_shipped_delivered_with_its_review_request(
    recorder: Recorder,
    client: Client,
    http: httpx.AsyncClient,
    sandbox: Served,
    ingress: Served,
    fast: Served,
) -> None:
    shop = sfcc(http, sandbox, fast)
    await preferences(
        http, ingress, "sfcc", SFCC_STORE, "501", email="grace@example.com", marketing_opt_in=["email"]
    )
    product = {"name": "Mug", "primary_category_id": "kitchen", "c_url": "/mug-1.html"}
    (
        await http.put(f"{sandbox.url}/sandbox/sfcc/{SFCC_STORE}/products/MUG-1", json=product)
    ).raise_for_status()
    order = order_workflow_id("sfcc", SFCC_STORE, "1001")
    assert (
        await shop.place_order("1001", customer_id="501", email="grace@example.com", phone="+14155550201")
    ).status_code == 202
    await sent(http, sandbox, f"{order}:", 1)
    assert (await shop.move("1001", OrderStage.SHIPPED)).status_code == 202
    await sent(http, sandbox, f"{order}:", 2)
    assert (await shop.move("1001", OrderStage.DELIVERED)).status_code == 202

    status: OrderStatus = await finished(client, order, OrderStatus)  # after the grace window
    assert status.stage is OrderStage.DELIVERED
    review = review_workflow_id("sfcc", SFCC_STORE, "1001")
    asked: ReviewStatus = await finished(client, review, ReviewStatus)
    assert asked.state == "done"
    assert steps(asked.messages, review) == ["request", "reminder"]
    await recorder.save(order, review)


async def test_sap_order_held_for_fraud_review_then_cancelled(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, fast: Served
) -> None:
    shop = sap(http, sandbox, fast)
    order = order_workflow_id("sap-commerce", SAP_STORE, "2001")
    assert (await shop.place_order("2001", customer_id="2101", phone="+14155550301")).status_code == 202
    await sent(http, sandbox, f"{order}:", 1)
    assert (await shop.move("2001", OrderStage.FRAUD_REVIEW)).status_code == 202
    await sent(http, sandbox, f"{order}:", 3)  # the customer, and operations' fraud alert
    assert (await shop.move("2001", OrderStage.CANCELLED)).status_code == 202

    status: OrderStatus = await finished(client, order, OrderStatus)
    assert status.stage is OrderStage.CANCELLED
    await recorder.save(order)


async def test_bigcommerce_order_refunded_after_delivery_cancels_its_review_request(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, fast: Served
) -> None:
    shop = bigcommerce(http, sandbox, fast)
    order = order_workflow_id("bigcommerce", BC_STORE, "3001")
    assert (await shop.place_order("3001", customer_id="3101", phone="+14155550401")).status_code == 202
    await sent(http, sandbox, f"{order}:", 1)
    assert (await shop.move("3001", OrderStage.SHIPPED)).status_code == 202
    await sent(http, sandbox, f"{order}:", 2)
    assert (await shop.move("3001", OrderStage.DELIVERED)).status_code == 202
    await sent(http, sandbox, f"{order}:", 3)
    # Within the grace window after delivery, before the review request is due.
    assert (await shop.move("3001", OrderStage.REFUNDED)).status_code == 202

    status: OrderStatus = await finished(client, order, OrderStatus)
    assert status.stage is OrderStage.REFUNDED
    review = review_workflow_id("bigcommerce", BC_STORE, "3001")
    cancelled: ReviewStatus = await finished(client, review, ReviewStatus)
    assert cancelled.state == "cancelled" and not cancelled.messages
    await recorder.save(order, review)


# ---- Pickup ---------------------------------------------------------------------------------------


async def test_sfcc_pickup_not_collected_expires_and_is_cancelled_and_restocked(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, fast: Served
) -> None:
    shop = sfcc(http, sandbox, fast)
    assert (
        await shop.place_order("1002", customer_id="502", phone="+14155550202", pickup=True)
    ).status_code == 202
    await sent(http, sandbox, order_workflow_id("sfcc", SFCC_STORE, "1002") + ":", 1)
    assert (await shop.move("1002", OrderStage.AWAITING_PICKUP)).status_code == 202
    pickup = pickup_workflow_id("sfcc", SFCC_STORE, "1002")
    await sent(http, sandbox, f"{pickup}:", 1)  # ready for pickup: the order handed it over

    expired: PickupStatus = await finished(client, pickup, PickupStatus)
    assert expired.state == "expired"
    assert await shop.cancelled_in_platform("1002")
    await recorder.save(pickup)


async def test_sap_pickup_ready_then_collected(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = sap(http, sandbox, ingress)
    assert (
        await shop.place_order("2002", customer_id="2102", phone="+14155550302", pickup=True)
    ).status_code == 202
    await sent(http, sandbox, order_workflow_id("sap-commerce", SAP_STORE, "2002") + ":", 1)
    assert (await shop.move("2002", OrderStage.AWAITING_PICKUP)).status_code == 202  # READY_FOR_PICKUP
    pickup = pickup_workflow_id("sap-commerce", SAP_STORE, "2002")
    await sent(http, sandbox, f"{pickup}:", 1)
    assert (await shop.move("2002", OrderStage.DELIVERED)).status_code == 202  # PICKUP_COMPLETE

    collected: PickupStatus = await finished(client, pickup, PickupStatus)
    assert collected.state == "collected"
    await recorder.save(pickup)


# ---- AbandonedCart --------------------------------------------------------------------------------


async def test_bigcommerce_cart_exits_without_marketing_consent(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = bigcommerce(http, sandbox, ingress)
    cart_id = "c0ffee00-0000-4000-8000-00000000c0a1"
    assert (
        await shop.abandon_cart(cart_id, customer_id="3102", email="linus@example.com")
    ).status_code == 202
    cart = cart_workflow_id("bigcommerce", BC_STORE, cart_id)

    exited: CartStatus = await finished(client, cart, CartStatus)
    assert exited.outcome.state == "exited" and "no marketing consent" in (exited.outcome.reason or "")
    await recorder.save(cart)


async def test_sap_cart_expires_after_the_whole_sequence(
    recorder: Recorder,
    client: Client,
    http: httpx.AsyncClient,
    sandbox: Served,
    ingress: Served,
    fast: Served,
) -> None:
    await preferences(
        http, ingress, "sap-commerce", SAP_STORE, "2103", email="hedy@example.com", marketing_opt_in=["email"]
    )
    shop = sap(http, sandbox, fast)
    assert (
        await shop.abandon_cart("cart-expired", customer_id="2103", email="hedy@example.com")
    ).status_code == 202
    cart = cart_workflow_id("sap-commerce", SAP_STORE, "cart-expired")

    expired: CartStatus = await finished(client, cart, CartStatus)
    assert expired.outcome.state == "expired"
    assert steps(expired.messages, cart) == ["first_reminder", "cart_contents"]
    await recorder.save(cart)


async def test_sfcc_cart_recovered_after_the_first_reminder(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    await preferences(
        http, ingress, "sfcc", SFCC_STORE, "503", email="barbara@example.com", marketing_opt_in=["email"]
    )
    shop = sfcc(http, sandbox, ingress)
    assert (
        await shop.abandon_cart("cart-recovered", customer_id="503", email="barbara@example.com")
    ).status_code == 202
    cart = cart_workflow_id("sfcc", SFCC_STORE, "cart-recovered")
    handle = client.get_workflow_handle(cart)

    async def reminded() -> bool:  # sent, and known as sent to the journey (not only to the outbox)
        status: CartStatus = await handle.query(AbandonedCart.status)
        return status.outcome.state == "waiting" and bool(status.messages)

    await eventually(reminded, what="the first reminder")
    assert (await shop.convert_cart("cart-recovered", "1005")).status_code == 202  # basket.converted

    recovered: CartStatus = await finished(client, cart, CartStatus)
    assert recovered.outcome.state == "recovered" and recovered.outcome.after_step == "first_reminder"
    await recorder.save(cart)


# ---- ServiceCase ----------------------------------------------------------------------------------


async def test_sfcc_case_answered_by_sms_then_closed(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = sfcc(http, sandbox, ingress)
    phone = "+14155550203"
    assert (await shop.place_order("1003", customer_id="504", phone=phone)).status_code == 202
    await sent(http, sandbox, order_workflow_id("sfcc", SFCC_STORE, "1003") + ":", 1)
    opened = await shop.open_case("case-1003", "1003", CaseKind.RETURN_REQUEST, "The mug arrived chipped")
    assert opened.status_code == 202, opened.text
    case = opened.json()["workflow_ids"][0]
    await sent(http, sandbox, f"{case}:opened", 1)
    answered = await http.post(f"{sandbox.url}/sandbox/reply", json={"from": phone, "text": "1"})
    assert answered.status_code == 202 and answered.json()["handling"] == "routed", answered.text

    async def written_back() -> bool:
        return any('customer replied by sms: "1"' in text for text in await shop.write_backs("1003"))

    await eventually(written_back, what="the answer written back into the platform")
    assert (await shop.close_case("case-1003", "1003")).status_code == 202

    closed: CaseStatus = await finished(client, case, CaseStatus)
    assert closed.state == "closed"
    await recorder.save(case)


async def test_sap_case_escalated_to_an_agent_after_no_answer(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, fast: Served
) -> None:
    shop = sap(http, sandbox, fast)
    opened = await shop.open_case("R2004", "2004", CaseKind.DELIVERY_DISPUTE, "The parcel never arrived")
    assert opened.status_code == 202, opened.text
    case = opened.json()["workflow_ids"][0]

    async def escalated() -> bool:
        status: CaseStatus = await client.get_workflow_handle(case).query(ServiceCase.status)
        return status.state == "needs_agent" and len(await outbox(http, sandbox, f"{case}:")) >= 3

    await eventually(escalated, what="the case escalated to the service team")
    await idle(client, case)
    await recorder.save(case)


# ---- ConsentReply ---------------------------------------------------------------------------------


async def test_sms_stop_then_start(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, ingress: Served
) -> None:
    """OpenText's inbound callback, posted as the sandbox's `/sandbox/reply` would post it, but with
    fixed provider message ids: the ConsentReply's workflow id carries that id."""
    phone = "+14155550501"
    ids = []
    for text, message_id, handling in (
        ("STOP", "corpus-stop", "opted_out"),
        ("START", "corpus-start", "opted_in"),
    ):
        message = InboundMessage(
            channel=Channel.SMS,
            sender=phone,
            text=text,
            received_at=datetime.now(UTC),
            provider_message_id=message_id,
        )
        r = await http.post(
            f"{ingress.url}/callbacks/opentext/inbound",
            json=inbound_payload(message),
            headers={"X-Tidings-Callback-Secret": CALLBACK_SECRET},
        )
        assert r.status_code == 202 and r.json()["handling"] == handling, r.text
        ids.append(f"consent:sms:{hash_address(phone)[:16]}:{message_id}")
        confirmed: ConsentReplyStatus = await finished(client, ids[-1], ConsentReplyStatus)
        assert [m.status.value for m in confirmed.messages] in (["sent"], ["delivered"])
    await recorder.save(*ids)


# ---- OpsAlerts ------------------------------------------------------------------------------------


async def test_a_burst_of_payment_gateway_errors_is_one_alert(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, alerts: Served
) -> None:
    shop = sfcc(http, sandbox, alerts, CorpusAlertsSfcc)
    errors = [
        {
            "message": f"Adyen: authorisation timed out (order {7000 + n})",
            "c_gateway": "adyen",
            "order_no": str(7000 + n),
        }
        for n in range(20)
    ]
    answers = await asyncio.gather(*(shop.post("payment.gateway_error", data) for data in errors))
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers if a.status_code != 202]
    key = alerts_workflow_id("sfcc", ALERTS_STORE, "payment_gateway_error:adyen")

    digest: AlertsStatus = await finished(client, key, AlertsStatus)  # idle after its one window
    assert digest.windows_sent == 1 and digest.events == 20
    await recorder.save(key)


async def test_a_cancellation_spike_is_one_alert(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, alerts: Served
) -> None:
    shop = sfcc(http, sandbox, alerts, CorpusAlertsSfcc)
    orders = [str(7100 + n) for n in range(SPIKE_COUNT + 1)]
    placed = await asyncio.gather(*(shop.place_order(o, customer_id=f"7{o}", phone=None) for o in orders))
    assert all(p.status_code == 202 for p in placed), [p.text for p in placed]
    cancelled = await asyncio.gather(*(shop.move(o, OrderStage.CANCELLED) for o in orders))
    assert all(c.status_code == 202 for c in cancelled), [c.text for c in cancelled]
    spike = alerts_workflow_id("sfcc", ALERTS_STORE, "cancellation")

    digest: AlertsStatus = await finished(client, spike, AlertsStatus)
    assert digest.windows_sent == 1 and len(digest.messages) == 1
    await recorder.save(spike)


# ---- AccountMessage -------------------------------------------------------------------------------


async def test_sfcc_password_reset_acknowledged_by_email_reply(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = sfcc(http, sandbox, ingress)
    email = "katherine@example.com"
    profile = {
        "customer_no": "505",
        "email": email,
        "first_name": "Katherine",
        "last_name": "Johnson",
        "phone_mobile": "+14155550204",
        "c_link": "https://store.example/reset?token=corpus",
    }
    answer = await post_sfcc(shop, "customer.password_reset", profile, "corpus-password-reset")
    assert answer.status_code == 202, answer.text
    account = account_workflow_id("sfcc", SFCC_STORE, "505", "corpus-password-reset")
    await sent(http, sandbox, f"{account}:", 1)
    replied = await http.post(
        f"{sandbox.url}/sandbox/reply", json={"from": email, "channel": "email", "text": "Yes, that was me."}
    )
    assert replied.status_code == 202 and replied.json()["handling"] == "routed", replied.text

    done: AccountStatus = await finished(client, account, AccountStatus)
    assert done.state == "acknowledged"
    await recorder.save(account)


async def test_sap_payment_method_expiring_waits_for_its_notice_time(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, fast: Served
) -> None:
    """The notice is due the (scaled) lead time before the expiry: a few seconds from now. SAP names
    the exact moment (`tidingsExpiresAt`), and its event id is a fingerprint of it, so this journey's
    id differs on every run: earlier recordings are found by their prefix."""
    lead = AccountPolicy().scaled(FAST_SCALE).expiry_lead
    doc = sap_simulate.customer_document(
        "ada.expiring@example.com",
        customer_id="2105",
        email="ada.expiring@example.com",
        phone="+14155550305",
        event="payment_method_expiring",
        detail="Visa ending 4242",
        expires_at=datetime.now(UTC) + lead + timedelta(seconds=4),
    )
    answer = await sap(http, sandbox, fast).post(CUSTOMER_IO, doc, site=SAP_STORE)
    assert answer.status_code == 202, answer.text
    [account] = answer.json()["workflow_ids"]
    assert account.startswith(
        account_workflow_id("sap-commerce", SAP_STORE, "2105", "account-payment_method_expiring-")
    )

    done: AccountStatus = await finished(client, account, AccountStatus)  # no answer within the wait
    assert done.state == "unacknowledged" and done.send_at is not None
    assert steps(done.messages, account) == ["payment_method_expiring"]
    prefix = history_filename(
        account_workflow_id("sap-commerce", SAP_STORE, "2105", "account-payment_method_expiring-")
    )
    await recorder.save(account, earlier=prefix.removesuffix(".json") + "*.json")


# ---- CustomerLifecycle ----------------------------------------------------------------------------


def loyalty_profile(customer_no: str, **facts: Any) -> dict[str, Any]:
    return {
        "customer_no": customer_no,
        "email": f"customer{customer_no}@example.de",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "preferred_locale": "de_DE",
        **facts,
    }


async def test_sfcc_customer_earns_points_orders_and_moves_up_a_tier(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = sfcc(http, sandbox, ingress)
    customer = customer_workflow_id("sfcc", SFCC_STORE, "506")
    handle = client.get_workflow_handle(customer)

    async def status() -> LifecycleStatus:
        return await handle.query(CustomerLifecycle.status)

    points = loyalty_profile("506", c_points=120, c_pointsBalance=1120, c_tier="silver")
    assert (await post_sfcc(shop, "loyalty.points_earned", points, "corpus-points-506")).status_code == 202
    await sent(http, sandbox, f"{customer}:points_earned:", 1)
    assert (
        await shop.place_order(
            "1004", customer_id="506", email="customer506@example.de", phone="+14155550205"
        )
    ).status_code == 202  # the order resets the win-back timer

    async def ordered() -> bool:
        return (await status()).orders_count == 1

    await eventually(ordered, what="the order counted")
    tier = loyalty_profile("506", c_tier="gold", c_previousTier="silver")
    assert (await post_sfcc(shop, "loyalty.tier_changed", tier, "corpus-tier-506")).status_code == 202
    await sent(http, sandbox, f"{customer}:tier_changed", 1)

    async def settled() -> bool:
        s = await status()
        return s.profile.tier == "gold" and s.winback_due is not None

    await eventually(settled, what="the tier and the win-back timer")
    await idle(client, customer)
    await recorder.save(customer)


# ---- Campaign -------------------------------------------------------------------------------------

AUDIENCE = (("601", "6001"), ("602", "6002"), ("603", "6003"))


@pytest.fixture(scope="module")
async def audience(settings: Settings, sandbox: Served, ingress: Served) -> AsyncIterator[None]:
    """Three customers of the campaign store, opted in to marketing email, in the customers table
    (recorded there by their CustomerLifecycle when their first order arrived)."""
    async with httpx.AsyncClient(timeout=20) as http:
        shop = sfcc(http, sandbox, ingress, CorpusCampaignSfcc)
        for customer, order in AUDIENCE:
            email = f"customer{customer}@example.com"
            await preferences(
                http, ingress, "sfcc", CAMPAIGN_STORE, customer, email=email, marketing_opt_in=["email"]
            )
            assert (
                await shop.place_order(order, customer_id=customer, email=email, phone=None)
            ).status_code == 202
        stores = await Stores.open(settings.database_url)
        try:

            async def recorded() -> bool:
                found = [await stores.customers.get("sfcc", CAMPAIGN_STORE, c) for c, _ in AUDIENCE]
                return all(f is not None and f.orders_count == 1 for f in found)

            await eventually(recorded, what="the audience in the customers table")
        finally:
            await stores.close()
        yield


async def start_campaign(http: httpx.AsyncClient, ingress: Served, campaign_id: str, rate: float) -> None:
    started = await http.post(
        f"{ingress.url}/campaigns",
        json={
            "store": CAMPAIGN_STORE,
            "campaign_id": campaign_id,
            "platform": "sfcc",
            "segment": {"ordered_within_days": 30},
            "content": {
                "subject": "Our winter blend is here",
                "text": "10 % off the winter blend this week.",
            },
            "rate": rate,
        },
        headers=AUTH,
    )
    assert started.status_code == 202, started.text


async def test_a_small_campaign_completes(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, ingress: Served, audience: None
) -> None:
    await start_campaign(http, ingress, "winter-blend", rate=20)
    campaign = campaign_workflow_id(CAMPAIGN_STORE, "winter-blend")
    done: CampaignStatus = await finished(client, campaign, CampaignStatus)
    assert done.state == "completed"
    assert (done.progress.audience, done.progress.sent) == (len(AUDIENCE), len(AUDIENCE))
    await recorder.save(campaign)


async def test_a_campaign_cancelled_while_sending(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, ingress: Served, audience: None
) -> None:
    await start_campaign(http, ingress, "flash-sale", rate=0.2)  # one send every 5 s
    campaign = campaign_workflow_id(CAMPAIGN_STORE, "flash-sale")
    handle = client.get_workflow_handle(campaign)

    async def one_sent() -> bool:
        return (await handle.query(Campaign.progress)).progress.sent >= 1

    await eventually(one_sent, what="the first send")
    cancel = await http.post(f"{ingress.url}/campaigns/{CAMPAIGN_STORE}/flash-sale/cancel", headers=AUTH)
    assert cancel.status_code == 202, cancel.text
    done: CampaignStatus = await finished(client, campaign, CampaignStatus)
    assert done.state == "cancelled" and done.progress.remaining >= 1
    await recorder.save(campaign)


# ---- ProductWatch ---------------------------------------------------------------------------------

PRODUCT = 77
WATCHERS = ("3201", "3202")


async def test_bigcommerce_subscribers_hear_of_a_restock(
    recorder: Recorder, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = bigcommerce(http, sandbox, ingress).shop
    watch = product_workflow_id("bigcommerce", BC_STORE, str(PRODUCT))
    await shop.seed_stock(PRODUCT, 0)
    assert (await shop.stock_changed(PRODUCT, 0)).status_code == 202  # sold out
    for customer in WATCHERS:
        await shop.opt_in(int(customer), "email", email=f"watcher{customer}@example.com")
        answer = await http.post(
            f"{ingress.url}/subscriptions",
            json={
                "platform": "bigcommerce",
                "store": BC_STORE,
                "customer_id": customer,
                "sku": str(PRODUCT),
                "kind": "back_in_stock",
                "channel": "email",
                "email": f"watcher{customer}@example.com",
            },
            headers=AUTH,
        )
        assert answer.status_code == 202 and answer.json()["workflow_id"] == watch, answer.text
    assert (await shop.stock_changed(PRODUCT, 12)).status_code == 202  # the merchant restocks

    news = await sent(http, sandbox, f"{watch}:back_in_stock:", len(WATCHERS))
    assert sorted(m["to"] for m in news) == [f"watcher{c}@example.com" for c in WATCHERS]
    await idle(client, watch)
    status = await client.get_workflow_handle(watch).query(ProductWatch.status)
    assert status.restocks == 1 and status.stock == 12
    await recorder.save(watch)
