"""SAP Commerce loyalty through the `TidingsCustomer` webhook into the ingress: points earned reach
the customer, whether the save names them (`tidingsPoints`) or only carries the new balance
(`loyaltyPoints`), whose rise over the balance the journey last saw is what was earned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.client import Client

from connectors.sap_commerce import simulate as sap
from connectors.sap_commerce.webhooks import CUSTOMER_IO
from domain.events import Platform, customer_workflow_id
from tests.conftest import SAP_PASSWORD, SAP_USER, Served
from tests.platforms.sap import SapShop
from tests.shop import eventually
from workflows.customer_lifecycle import CustomerLifecycle

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def outbox(http: httpx.AsyncClient, sandbox: Served, prefix: str) -> list[dict[str, Any]]:
    messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
    return [m for m in messages if str(m.get("reference") or "").startswith(prefix)]


async def test_sap_points_earned_reach_the_customer_from_the_balance_or_the_count(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, client: Client
) -> None:
    site = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    customer_id = f"c{uuid.uuid4().hex[:6]}"
    saves = 0

    async def save(event: str | None, **facts: Any) -> None:
        nonlocal saves
        saves += 1
        doc = sap.customer_document(
            f"{customer_id}@example.de",
            customer_id=customer_id,
            email=f"{customer_id}@example.de",
            event=event,
            modified_at=START + timedelta(minutes=saves),
            **facts,
        )
        assert (await site.post(CUSTOMER_IO, doc, site=site.store)).status_code == 202

    workflow_id = customer_workflow_id(Platform.SAP_COMMERCE, site.store, customer_id)
    await save(None, points=100)  # a profile save: the balance the journey knows

    async def balance(points: int) -> bool:
        try:
            status = await client.get_workflow_handle(workflow_id).query(CustomerLifecycle.status)
        except Exception:  # not started yet
            return False
        return status.profile.points_balance == points

    await eventually(lambda: balance(100), timeout=60, what="the first balance")
    await save("points_earned", points=160)  # only the new balance: 60 were earned

    async def told(n: int) -> bool:
        return len(await outbox(http, sandbox, f"{workflow_id}:points_earned:")) >= n

    await eventually(lambda: told(1), timeout=60, what="the points from the balance")
    await save("points_earned", points=185, earned=25)  # the loyalty extension names them
    await eventually(lambda: told(2), timeout=60, what="the points the save names")
    subjects = sorted(m["subject"] for m in await outbox(http, sandbox, f"{workflow_id}:points_earned:"))
    assert subjects == ["You earned 25 points", "You earned 60 points"]
    assert await balance(185)
