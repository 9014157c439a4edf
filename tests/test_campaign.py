"""Campaign against the real dev server: customers in the customers table, consent in the preferences
store, the real delivery activity with the sandbox as OpenText, on workers of its own (the campaign's
queue and its bulk send queue) until worker.py registers it. Also the campaigns API and the CLI."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker
from typer.testing import CliRunner

from activities.audience import AudienceActivities
from domain import settings as settings_module
from domain.campaign import CampaignPolicy, CampaignSpec, CampaignStatus, CustomerFacts, SegmentFilter
from domain.events import Platform, campaign_workflow_id
from domain.notifications import Channel, DeliveryPolicy
from domain.preferences import Preferences
from domain.settings import Settings
from starter import campaign_cli
from starter.campaigns_api import campaign_progress, router, start_campaign
from store.opt_outs import SCOPE_MARKETING
from store.stores import Stores
from tests.codec_test_key import TEST_KEYS_FILE
from tests.conftest import API_TOKEN, Served
from tests.shop import eventually
from worker import activity_set
from workflows.campaign import Campaign, CampaignInput

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def campaign_settings(settings: Settings) -> Settings:
    """The session's settings with our own task queue (its bulk queue is `{queue}-bulk`)."""
    return settings.model_copy(update={"task_queue": f"{settings.task_queue}-campaign"})


@pytest.fixture(scope="module")
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
async def workers(
    client: Client, campaign_settings: Settings, sandbox: Served, stores: Stores
) -> AsyncIterator[None]:
    """The campaign's queue (workflow, audience pages) and the bulk queue its sends run on, whose
    worker caps sends per second for every campaign together."""
    queue = campaign_settings.task_queue
    audience = AudienceActivities(stores)
    async with activity_set(campaign_settings) as activities:
        registered = {
            fn.__name__: fn for fn in [*activities, audience.audience_page, audience.audience_count]
        }
        send = registered["send_message"]
        async with (
            Worker(client, task_queue=queue, workflows=[Campaign], activities=list(registered.values())),
            Worker(
                client,
                task_queue=f"{queue}-bulk",
                activities=[send],
                max_task_queue_activities_per_second=campaign_settings.restock_send_rate,
            ),
        ):
            yield


class Store:
    """A store's customers as the lifecycle would have recorded them, with their consent."""

    def __init__(
        self, client: Client, settings: Settings, stores: Stores, http: httpx.AsyncClient, sandbox: str
    ):
        self.client, self.settings, self.stores, self.http, self.sandbox = (
            client,
            settings,
            stores,
            http,
            sandbox,
        )
        self.name = f"s{uuid.uuid4().hex[:8]}"

    async def customer(
        self,
        customer_id: str,
        *,
        country: str = "DE",
        locale: str = "de_DE",
        opt_in: tuple[Channel, ...] = (Channel.EMAIL,),
        email: str | None = "",
        phone: str | None = None,
        time_zone: str | None = None,
        **facts: Any,
    ) -> None:
        await self.stores.customers.upsert(
            CustomerFacts(
                platform=Platform.BIGCOMMERCE,
                store=self.name,
                customer_id=customer_id,
                name=f"Kunde {customer_id}",
                email=f"c{customer_id}@{self.name}.example" if email == "" else email,
                phone=phone,
                locale=locale,
                country=country,
                **facts,
            )
        )
        if opt_in or time_zone:
            await self.stores.preferences.put(
                "bigcommerce",
                self.name,
                customer_id,
                Preferences(marketing_opt_in=list(opt_in), time_zone=time_zone),
            )

    def spec(self, campaign_id: str | None = None, **fields: Any) -> CampaignSpec:
        return CampaignSpec.model_validate(
            {
                "store": self.name,
                "campaign_id": campaign_id or f"c-{uuid.uuid4().hex[:6]}",
                "segment": {},
                "content": {
                    "subject": "Autumn sale: 20 % off coffee",
                    "text": "Our autumn sale has started.\n\nEvery coffee machine is 20 % off until Sunday.",
                    "link": "https://shop.example/sale",
                    "code": "AUTUMN20",
                },
                "rate": 50,
                **fields,
            }
        )

    async def start(self, spec: CampaignSpec, **policy: Any) -> WorkflowHandle[Any, CampaignStatus]:
        if policy:
            base = CampaignPolicy.from_settings(self.settings)
            workflow_id = campaign_workflow_id(spec.store, spec.campaign_id)
            await self.client.start_workflow(
                Campaign.run,
                CampaignInput(spec=spec, policy=base.model_copy(update=policy)),
                id=workflow_id,
                task_queue=self.settings.task_queue,
            )
        else:
            workflow_id = await start_campaign(self.client, self.settings, spec)
        return self.client.get_workflow_handle(workflow_id, result_type=CampaignStatus)

    async def outbox(self, spec: CampaignSpec) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.sandbox}/sandbox/messages")
        r.raise_for_status()
        prefix = campaign_workflow_id(spec.store, spec.campaign_id) + ":"
        return [m for m in r.json() if (m.get("reference") or "").startswith(prefix)]


@pytest.fixture
def store(
    client: Client,
    campaign_settings: Settings,
    stores: Stores,
    http: httpx.AsyncClient,
    sandbox: Served,
    workers: None,
) -> Store:
    return Store(client, campaign_settings, stores, http, sandbox.url)


def add_up(status: CampaignStatus) -> None:
    p = status.progress
    assert p.sent + p.suppressed + p.failed + p.remaining == p.audience
    assert p.deferred <= p.remaining
    assert sum(p.suppressed_by.values()) == p.suppressed


async def progress_of(handle: WorkflowHandle[Any, CampaignStatus]) -> CampaignStatus:
    return await handle.query(Campaign.progress)


# --- the spec ---------------------------------------------------------------------------------------


def test_a_misspelt_filter_is_refused_rather_than_widening_the_audience() -> None:
    with pytest.raises(ValidationError, match="countries"):
        SegmentFilter.model_validate({"countries": ["DE"]})
    with pytest.raises(ValidationError, match="segment"):
        CampaignSpec.model_validate(
            {"store": "s", "campaign_id": "c", "content": {"subject": "s", "text": "t"}}
        )  # no segment at all: "everyone" must be said with {}
    with pytest.raises(ValidationError, match="alpha-2"):
        SegmentFilter(country=["Germany"])
    with pytest.raises(ValidationError, match="never_ordered"):
        SegmentFilter(never_ordered=True, min_orders=2)
    assert SegmentFilter(country=["de", "AT"], language=["de-AT"]).model_dump(exclude_none=True) == {
        "country": ["AT", "DE"],
        "language": ["de"],
        "never_ordered": False,
    }


@pytest.mark.parametrize(
    ("rate", "size", "seconds"), [(20, 20, 1.0), (0.5, 1, 2.0), (200, 50, 0.25), (3, 3, 1.0)]
)
def test_batches_keep_to_the_rate(rate: float, size: int, seconds: float) -> None:
    assert CampaignPolicy().batch(rate) == (size, timedelta(seconds=seconds))


# --- the workflow -----------------------------------------------------------------------------------


async def test_the_segment_is_reached_with_consent_and_the_numbers_add_up(
    store: Store, stores: Stores
) -> None:
    await store.customer("1", tier="gold", orders_count=3, last_order_at=NOW - timedelta(days=5))
    await store.customer("2", locale="en_GB", orders_count=1, last_order_at=NOW - timedelta(days=120))
    await store.customer("3", opt_in=())  # no marketing opt-in
    await store.customer("4")  # unsubscribed from marketing email
    await stores.opt_outs.opt_out(Channel.EMAIL, f"c4@{store.name}.example", SCOPE_MARKETING, "email opt-out")
    await store.customer("5", country="FR", locale="fr_FR")
    await store.customer("6", country="AT", locale="de_AT")
    await store.customer("7", email=None, phone="+4915112345678")  # nothing to send an email to
    german = {"subject": "Herbstaktion: 20 % auf Kaffee", "text": "Alle Kaffeemaschinen 20 % günstiger."}
    spec = store.spec(segment={"country": ["DE"]}, translations={"de": german})

    result = await (await store.start(spec)).result()

    assert result.state == "completed"
    p = result.progress
    assert (p.audience, p.sent, p.suppressed, p.failed, p.remaining) == (5, 2, 3, 0, 0)
    assert p.suppressed_by == {"no_opt_in": 1, "opted_out": 1, "no_address": 1}
    add_up(result)
    sent = {m["to"]: m for m in await store.outbox(spec)}
    assert set(sent) == {f"c1@{store.name}.example", f"c2@{store.name}.example"}
    assert sent[f"c1@{store.name}.example"]["subject"] == "Herbstaktion: 20 % auf Kaffee"
    assert "Guten Tag Kunde 1" in sent[f"c1@{store.name}.example"]["body"]
    english = sent[f"c2@{store.name}.example"]
    assert english["subject"] == "Autumn sale: 20 % off coffee" and "AUTUMN20" in english["body"]

    loyal = store.spec(segment={"ordered_within_days": 30, "min_orders": 2})
    result = await (await store.start(loyal)).result()
    assert (result.progress.audience, result.progress.sent) == (1, 1)
    assert [m["to"] for m in await store.outbox(loyal)] == [f"c1@{store.name}.example"]


async def test_sends_keep_to_the_campaigns_rate(store: Store) -> None:
    for n in range(24):
        await store.customer(f"{n:03d}")
    spec = store.spec(rate=8)  # 8 a second: three batches, a second apart
    result = await (await store.start(spec)).result()
    assert result.progress.sent == 24
    times = sorted(datetime.fromisoformat(m["received_at"]) for m in await store.outbox(spec))
    assert len(times) == 24
    assert times[-1] - times[0] >= timedelta(seconds=1.5)  # all at once would take a fraction of that
    assert times[-1] - times[0] < timedelta(seconds=10)
    assert times[8] - times[0] >= timedelta(seconds=0.4)  # the ninth waited for the second batch


async def test_pause_stops_new_sends_resume_carries_on_and_cancel_ends_with_the_progress_so_far(
    store: Store,
) -> None:
    for n in range(30):
        await store.customer(f"{n:03d}")
    spec = store.spec(rate=3)  # ten seconds for everyone
    handle = await store.start(spec)

    async def some_sent() -> bool:
        return (await progress_of(handle)).progress.sent >= 3

    await eventually(some_sent, what="the first batch")
    await handle.signal(Campaign.pause)

    async def paused() -> bool:
        return (await progress_of(handle)).state == "paused"

    await eventually(paused, what="the pause")
    at_pause = await progress_of(handle)
    await asyncio.sleep(2.5)
    still = await progress_of(handle)
    assert still.progress.processed == at_pause.progress.processed
    assert len(await store.outbox(spec)) == at_pause.progress.sent
    add_up(still)

    await handle.signal(Campaign.resume)

    async def moving() -> bool:
        return (await progress_of(handle)).progress.processed > at_pause.progress.processed

    await eventually(moving, what="sending again")
    await handle.signal(Campaign.cancel)
    result = await handle.result()
    assert result.state == "cancelled" and result.finished_at is not None
    assert 0 < result.progress.sent < 30 and result.progress.remaining == 30 - result.progress.sent
    add_up(result)
    await asyncio.sleep(1)
    assert len(await store.outbox(spec)) == result.progress.sent  # nothing after the cancel


async def test_quiet_hours_defer_sends_which_count_as_remaining_until_they_go(store: Store) -> None:
    zone = "America/New_York"
    local = datetime.now(ZoneInfo(zone))
    for n in range(1, 4):
        await store.customer(
            f"q{n}",
            country="US",
            locale="en_US",
            phone=f"+1415555010{n}",
            opt_in=(Channel.SMS,),
            time_zone=zone,
        )
    quiet = DeliveryPolicy(
        quiet_hours_start=(local - timedelta(hours=1)).time(),
        quiet_hours_end=(local + timedelta(seconds=8)).time(),
    )
    spec = store.spec(channels=["sms"], segment={"country": ["US"]})
    handle = await store.start(spec, delivery=quiet)

    async def waiting_for_quiet_hours() -> bool:
        return (await progress_of(handle)).state == "waiting"

    await eventually(waiting_for_quiet_hours, what="the sends held by quiet hours")
    waiting = await progress_of(handle)
    assert waiting.progress.deferred == 3
    assert (waiting.progress.sent, waiting.progress.remaining, waiting.progress.audience) == (0, 3, 3)
    add_up(waiting)
    assert await store.outbox(spec) == []

    result = await handle.result()
    assert (result.state, result.progress.sent, result.progress.deferred) == ("completed", 3, 0)
    texts = await store.outbox(spec)
    assert len(texts) == 3 and all("AUTUMN20" in m["text"] and "STOP" in m["text"] for m in texts)
    window_end = datetime.combine(local.date(), quiet.quiet_hours_end, tzinfo=ZoneInfo(zone))
    if window_end < local:
        window_end += timedelta(days=1)
    assert all(datetime.fromisoformat(m["received_at"]) >= window_end - timedelta(seconds=1) for m in texts)


async def test_a_long_campaign_continues_as_new_between_pages_and_sends_once_each(store: Store) -> None:
    for n in range(20):
        await store.customer(f"{n:03d}")
    spec = store.spec(rate=100)
    result = await (await store.start(spec, page_size=4, history_limit=60)).result()
    assert result.runs >= 2
    assert (result.progress.audience, result.progress.sent, result.progress.remaining) == (20, 20, 0)
    recipients = [m["to"] for m in await store.outbox(spec)]
    assert len(recipients) == 20 and len(set(recipients)) == 20


# --- the API and the CLI ----------------------------------------------------------------------------


@pytest.fixture
async def api(client: Client, campaign_settings: Settings, workers: None) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router(campaign_settings))
    app.state.client = client
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://ingress",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    ) as http:
        yield http


async def test_the_api_starts_a_campaign_and_reports_its_progress(
    store: Store, api: httpx.AsyncClient
) -> None:
    await store.customer("1")
    await store.customer("2", opt_in=())
    body = json.loads(store.spec(segment={"country": ["DE"]}).model_dump_json())

    assert (
        await api.post("/campaigns", json=body, headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    typo = await api.post("/campaigns", json={**body, "segment": {"contry": ["DE"]}})
    assert typo.status_code == 400 and "segment.contry" in typo.json()["error"]
    missing = await api.post("/campaigns", json={**body, "content": {"text": "no subject"}})
    assert missing.status_code == 400 and missing.json()["error"] == "content.subject is missing"
    unknown = await api.post("/campaigns", json={**body, "template": "black_friday"})
    assert unknown.status_code == 400 and "black_friday" in unknown.json()["error"]

    started = await api.post("/campaigns", json=body)
    assert started.status_code == 202
    assert (await api.post("/campaigns", json=body)).status_code == 409
    url = started.json()["progress"]

    async def completed() -> bool:
        return (await api.get(url)).json()["state"] == "completed"

    await eventually(completed, what="the campaign to complete")
    done = (await api.get(url)).json()
    assert done["progress"]["sent"] == 1 and done["progress"]["suppressed_by"] == {"no_opt_in": 1}
    assert (await api.post(f"{url}/pause")).status_code == 409
    assert (await api.get(f"/campaigns/{store.name}/nope")).status_code == 404
    assert (await api.post(f"/campaigns/{store.name}/nope/cancel")).status_code == 404


async def test_the_cli_starts_pauses_and_shows_progress(
    store: Store, client: Client, campaign_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(12):
        await store.customer(f"{n:03d}")
    monkeypatch.setenv("TIDINGS_TEMPORAL_ADDRESS", client.service_client.config.target_host)
    monkeypatch.setenv("TIDINGS_TASK_QUEUE", campaign_settings.task_queue)
    monkeypatch.setenv("TIDINGS_ENCRYPTION_KEYS", TEST_KEYS_FILE.read_text())  # the session's payloads
    settings_module.get_settings.cache_clear()
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return asyncio.to_thread(runner.invoke, campaign_cli.campaign, list(args))

    ident = ["--store", store.name, "--id", "spring"]
    try:
        segment = ["--segment", '{"country": ["DE"]}']
        started = await cli("start", *ident, *segment, "--subject", "Spring", "--text", "New.", "--rate", "4")
        assert started.exit_code == 0, started.output
        assert "campaign:" in started.output and "country DE" in started.output
        bad = await cli("start", *ident, "--segment", "{country: DE}", "--subject", "s", "--text", "t")
        assert bad.exit_code == 1 and "--segment is not JSON" in bad.output

        assert (await cli("pause", *ident)).exit_code == 0
        once = await cli("status", *ident, "--no-wait")
        assert once.exit_code == 0 and "remaining" in once.output
        assert (await cli("resume", *ident)).exit_code == 0
        followed = await cli("status", *ident)
        assert followed.exit_code == 0, followed.output
        assert "completed · 12 sent" in followed.output and "12/12" in followed.output
        ended = await cli("cancel", *ident)
        assert ended.exit_code == 1 and "has ended" in ended.output
        assert (await campaign_progress(client, store.name, "spring")).progress.sent == 12
    finally:
        settings_module.get_settings.cache_clear()
