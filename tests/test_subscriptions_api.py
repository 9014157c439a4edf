"""The subscriptions API: 401 without the bearer token, 400 naming the field for bad input, 202 with
the product journey's workflow id once Temporal has the subscription (through the same routing as
webhook events), 503 when it does not; DELETE ends a watch. Runs against the real dev server, with
ProductWatch on a worker and task queue of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from domain.events import CommerceEvent, Platform, product_workflow_id
from domain.notifications import Channel
from domain.preferences import Preferences
from domain.settings import Settings
from starter import subscriptions_api
from starter.subscriptions_api import SubscriptionRequest, subscription_event
from store.stores import Stores
from tests.conftest import API_TOKEN, Served
from tests.shop import eventually
from worker import activity_set
from workflows.product_watch import ProductWatch
from workflows.product_watch_state import WatchStatus

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture(scope="module")
async def api_settings(settings: Settings, client: Client, sandbox: Served) -> AsyncIterator[Settings]:
    """The test settings with a task queue of their own, where a worker runs ProductWatch."""
    mine = settings.model_copy(update={"task_queue": f"{settings.task_queue}-subs-{uuid.uuid4().hex[:6]}"})
    async with activity_set(mine) as activities:
        async with Worker(
            client, task_queue=mine.task_queue, workflows=[ProductWatch], activities=activities
        ):
            yield mine


@pytest.fixture(scope="module")
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


@pytest.fixture
async def api(api_settings: Settings, client: Client, stores: Stores) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(subscriptions_api.router(api_settings))
    app.state.client, app.state.stores = client, stores
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingress") as http:
        yield http


def subscription(store: str, **changes: Any) -> dict[str, Any]:
    body = {
        "platform": "bigcommerce",
        "store": store,
        "customer_id": "7",
        "sku": "501",
        "kind": "back_in_stock",
        "channel": "email",
        "email": "ada@example.com",
        "locale": "de-AT",
        "name": "Ada Lovelace",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def new_store() -> str:
    return f"sub{uuid.uuid4().hex[:8]}"


async def started(client: Client, store: str) -> bool:
    try:
        await client.get_workflow_handle(product_workflow_id("bigcommerce", store, "501")).describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def watch_status(client: Client, store: str, sku: str = "501") -> WatchStatus:
    return await client.get_workflow_handle(product_workflow_id("bigcommerce", store, sku)).query(
        ProductWatch.status
    )


async def settled(client: Client, store: str, subscribers: int) -> WatchStatus:
    async def reached() -> bool:
        status = await watch_status(client, store)
        return not status.pending and status.subscribers == subscribers

    await eventually(reached, what=f"{subscribers} subscriber(s) in {store}")
    return await watch_status(client, store)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [({}, "missing bearer token"), ({"Authorization": "Bearer nope"}, "wrong bearer token")],
)
async def test_without_the_token_nothing_is_subscribed(
    api: httpx.AsyncClient, client: Client, headers: dict[str, str], detail: str
) -> None:
    store = new_store()
    for method in ("POST", "DELETE"):
        r = await api.request(method, "/subscriptions", json=subscription(store), headers=headers)
        assert r.status_code == 401 and r.json()["detail"] == detail
    assert not await started(client, store)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"[]", "body must be a JSON object"),
        ({"sku": None}, "sku: Field required"),
        ({"kind": "restock"}, "kind: Input should be 'back_in_stock' or 'price_drop'"),
        ({"channel": "fax"}, "channel: Input should be 'push', 'sms' or 'email'"),
        ({"platform": "shopify"}, "platform: Input should be"),
        ({"sku": "a/b"}, "sku: must be 1 to 100 letters, digits or"),
        ({"email": "ada.example.com"}, "email: not an email address"),
        ({"locale": "german please"}, "locale: not a locale"),
        ({"channel": "sms", "phone": "12"}, "phone: invalid phone number"),
        ({"channel": "sms"}, "phone: required to subscribe by sms"),
        ({"channel": "push"}, "push_token: required to subscribe by push"),
    ],
    ids=str,
)
async def test_bad_input_is_refused_naming_the_problem(
    api: httpx.AsyncClient, client: Client, body: Any, error: str
) -> None:
    store = new_store()
    if isinstance(body, bytes):
        r = await api.post(
            "/subscriptions", content=body, headers={**AUTH, "Content-Type": "application/json"}
        )
    else:
        r = await api.post("/subscriptions", json=subscription(store, **body), headers=AUTH)
    assert r.status_code == 400, r.text
    assert r.json()["error"].startswith(error), r.json()
    assert not await started(client, store)


async def test_a_subscription_reaches_the_products_journey(api: httpx.AsyncClient, client: Client) -> None:
    store = new_store()
    first = await api.post("/subscriptions", json=subscription(store), headers=AUTH)
    assert first.status_code == 202, first.text
    assert first.json()["workflow_id"] == product_workflow_id(Platform.BIGCOMMERCE, store, "501")
    retried = await api.post("/subscriptions", json=subscription(store), headers=AUTH)
    assert retried.json()["event_id"] == first.json()["event_id"]  # the same request is the same event
    price = await api.post("/subscriptions", json=subscription(store, kind="price_drop"), headers=AUTH)
    assert price.status_code == 202 and price.json()["event_id"] != first.json()["event_id"]

    status = await settled(client, store, subscribers=1)
    assert status.waiting_back_in_stock == 1 and status.watching_price == 1
    assert sum(1 for e in status.timeline if e.kind == "event") == 2  # the retry was a duplicate
    assert any("customer 7 watches for back_in_stock by email" in e.summary for e in status.timeline)


def test_a_request_becomes_the_canonical_watch_event() -> None:
    request = SubscriptionRequest.model_validate(
        subscription("abc123", channel="push", push_token="tok-1", phone="+14155550101")
    )
    event = subscription_event(request)
    assert event.type == "product.watched" and event.workflow_id() == "product:bigcommerce:abc123:501"
    assert event.product is not None and (event.product.watch, event.product.channel) == (
        "back_in_stock",
        "push",
    )
    assert (event.customer.customer_id, event.customer.email, event.customer.locale) == (
        "7",
        "ada@example.com",
        "de-AT",
    )
    assert event.extra == {"push_token": "tok-1"}
    assert subscription_event(request).event_id == event.event_id
    other = request.model_copy(update={"channel": Channel.EMAIL})
    assert subscription_event(other).event_id != event.event_id


async def test_a_phone_from_the_customers_preferences_is_enough(
    api: httpx.AsyncClient, client: Client, stores: Stores
) -> None:
    store = new_store()
    await stores.preferences.put("bigcommerce", store, "7", Preferences(phone="+14155550101"))
    r = await api.post("/subscriptions", json=subscription(store, channel="sms", email=None), headers=AUTH)
    assert r.status_code == 202, r.text
    status = await settled(client, store, subscribers=1)
    assert any("by sms" in e.summary for e in status.timeline)


async def test_a_given_phone_is_normalised(api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[CommerceEvent] = []

    async def deliver(client: Client, settings: Settings, event: CommerceEvent) -> str:
        handed.append(event)
        return event.workflow_id()

    monkeypatch.setattr(subscriptions_api, "deliver_event", deliver)
    r = await api.post(
        "/subscriptions", json=subscription(new_store(), channel="sms", phone="(415) 555-0101"), headers=AUTH
    )
    assert r.status_code == 202, r.text
    assert handed[0].customer.phone == "+14155550101"


async def test_when_temporal_does_not_take_it_the_caller_is_told_to_retry(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(*_: object) -> str:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    monkeypatch.setattr(subscriptions_api, "deliver_event", unavailable)
    r = await api.post("/subscriptions", json=subscription(new_store()), headers=AUTH)
    assert r.status_code == 503 and r.headers["Retry-After"] == "30"
    assert "retry later" in r.json()["error"]


async def test_unsubscribing_ends_the_watch(api: httpx.AsyncClient, client: Client) -> None:
    store = new_store()
    await api.post("/subscriptions", json=subscription(store), headers=AUTH)
    await api.post(
        "/subscriptions", json=subscription(store, customer_id="8", email="bo@example.com"), headers=AUTH
    )
    await settled(client, store, subscribers=2)
    target = {"platform": "bigcommerce", "store": store, "customer_id": "7", "sku": "501"}
    r = await api.request("DELETE", "/subscriptions", json=target, headers=AUTH)
    assert r.status_code == 202, r.text
    status = await settled(client, store, subscribers=1)
    assert any("customer 7 unsubscribed" in e.summary for e in status.timeline)

    nobody = await api.request("DELETE", "/subscriptions", json={**target, "sku": "999"}, headers=AUTH)
    assert nobody.status_code == 404 and "nobody watches 999" in nobody.json()["error"]
    bad = await api.request("DELETE", "/subscriptions", json={**target, "kind": "everything"}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["error"].startswith("kind:")
