"""End to end, once the routing is wired: signed SFCC webhooks → ingress → CustomerLifecycle (orders
fanned out to it, loyalty events routed to it) → the sandbox outbox and the customers table; then a
campaign started through `POST /campaigns` on the ingress reaches the customers the lifecycle recorded,
on the session worker (which must run Campaign, the audience activities and the bulk send queue)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from domain.events import Platform, customer_workflow_id
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import API_TOKEN, SFCC_SECRET, Served
from tests.platforms.sfcc import SfccShop
from tests.shop import eventually
from workflows.customer_lifecycle import CustomerLifecycle, LifecycleStatus

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


@pytest.fixture
def site(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> SfccShop:
    return SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)


def profile(customer_no: str, **loyalty: Any) -> dict[str, Any]:
    """The OCAPI customer profile the cartridge sends with customer and loyalty events."""
    return {
        "customer_no": customer_no,
        "email": f"customer{customer_no}@example.de",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "preferred_locale": "de_DE",
        **loyalty,
    }


async def opt_in(http: httpx.AsyncClient, ingress: Served, site: SfccShop, customer_no: str) -> None:
    r = await http.put(
        f"{ingress.url}/customers/sfcc/{site.store}/{customer_no}/preferences",
        json={"marketing_opt_in": ["email"]},
        headers=AUTH,
    )
    r.raise_for_status()


async def outbox(http: httpx.AsyncClient, sandbox: Served, prefix: str) -> list[dict[str, Any]]:
    r = await http.get(f"{sandbox.url}/sandbox/messages")
    r.raise_for_status()
    return [m for m in r.json() if (m.get("reference") or "").startswith(prefix)]


async def test_orders_and_loyalty_events_reach_the_customers_lifecycle_and_the_customers_table(
    site: SfccShop, client: Client, stores: Stores, http: httpx.AsyncClient, sandbox: Served
) -> None:
    assert (await site.place_order("1001", customer_id="7")).status_code == 202
    birthday = profile("7", birthday="1990-12-24", c_tier="silver", c_change="birthday")
    assert (await site.post("customer.profile_changed", birthday)).status_code == 202
    points = profile("7", c_points=120, c_pointsBalance=1120, c_tier="silver")
    assert (await site.post("loyalty.points_earned", points)).status_code == 202
    workflow_id = customer_workflow_id(Platform.SFCC, site.store, "7")

    [earned] = await _wait_for(http, sandbox, f"{workflow_id}:points_earned:", 1)
    assert earned["to"] == "customer7@example.de" and "120 Punkte" in earned["subject"]

    async def status() -> LifecycleStatus:
        return await client.get_workflow_handle(workflow_id).query(CustomerLifecycle.status)

    async def settled() -> bool:
        s = await status()
        return s.orders_count == 1 and s.profile.birthday == "12-24" and s.profile.points_balance == 1120

    await eventually(settled, what="the lifecycle to hold the order, birthday and points")
    assert (await status()).winback_due is not None and (await status()).next_birthday is not None

    async def recorded() -> bool:
        facts = await stores.customers.get("sfcc", site.store, "7")
        return facts is not None and facts.orders_count == 1 and facts.tier == "silver"

    await eventually(recorded, what="the customers table")


async def test_a_campaign_started_on_the_ingress_reaches_the_customers_the_lifecycle_recorded(
    site: SfccShop, stores: Stores, http: httpx.AsyncClient, ingress: Served, sandbox: Served
) -> None:
    await opt_in(http, ingress, site, "7")
    for order_no, customer_no in (("2001", "7"), ("2002", "8")):
        assert (await site.place_order(order_no, customer_id=customer_no)).status_code == 202

    async def both_recorded() -> bool:
        found = [await stores.customers.get("sfcc", site.store, c) for c in ("7", "8")]
        return all(f is not None and f.orders_count == 1 for f in found)

    await eventually(both_recorded, what="both customers in the customers table")
    campaign_id = f"welcome-{uuid.uuid4().hex[:6]}"
    started = await http.post(
        f"{ingress.url}/campaigns",
        json={
            "store": site.store,
            "campaign_id": campaign_id,
            "platform": "sfcc",
            "segment": {"ordered_within_days": 1},
            "content": {"subject": "Thank you for your first order", "text": "Here is 10 % off the next."},
            "rate": 20,
        },
        headers=AUTH,
    )
    assert started.status_code == 202, started.text
    url = f"{ingress.url}{started.json()['progress']}"

    async def completed() -> bool:
        return (await http.get(url, headers=AUTH)).json()["state"] == "completed"

    await eventually(completed, what="the campaign to complete")
    progress = (await http.get(url, headers=AUTH)).json()["progress"]
    assert (progress["audience"], progress["sent"], progress["suppressed"]) == (2, 1, 1)
    [message] = await outbox(http, sandbox, f"campaign:{site.store}:{campaign_id}:")
    assert message["reference"].endswith(":sfcc:7") and message["subject"] == "Thank you for your first order"


async def _wait_for(http: httpx.AsyncClient, sandbox: Served, prefix: str, n: int) -> list[dict[str, Any]]:
    async def arrived() -> bool:
        return len(await outbox(http, sandbox, prefix)) >= n

    await eventually(arrived, what=f"{n} message(s) {prefix}")
    return await outbox(http, sandbox, prefix)
