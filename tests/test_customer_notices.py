"""Bad news told to the customer, from each platform's own webhooks: a paid order that misses the ship
SLA says sorry once (with the platform's new estimate when it keeps one), and a carrier's failed
attempt, a refused parcel coming back or an address that failed validation says what to do."""

from __future__ import annotations

import httpx
import pytest
from temporalio.client import Client

from connectors.sfcc.simulate import order_document
from domain.events import OrderStage
from tests.conftest import SAP_PASSWORD, SAP_USER, SFCC_SECRET, Served
from tests.platforms.base import PlatformShop
from tests.platforms.sap import SapShop
from tests.platforms.sfcc import SfccShop
from tests.test_journeys_all_platforms import PLATFORMS, _shop, order_id, outbox, steps, wait_messages


@pytest.fixture(params=PLATFORMS)
def fast_shop(
    request: pytest.FixtureRequest,
    http: httpx.AsyncClient,
    sandbox: Served,
    fast_ingress: Served,
    ingress: Served,
    client: Client,
) -> PlatformShop:
    return _shop(request.param, http, sandbox.url, fast_ingress.url, client)


async def test_a_late_order_says_sorry_once_on_every_platform(
    fast_shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served
) -> None:
    shop = fast_shop
    oid = order_id()
    await shop.place_order(oid)
    prefix = shop.order_workflow_id(oid) + ":"
    sent = await wait_messages(http, sandbox, prefix, 3)  # confirmation; the SLA passes: ops and customer
    assert sorted(steps(sent, prefix)[1:3]) == ["delayed", "ops:ship_sla"]
    sorry = next(m for m in sent if str(m["reference"]).endswith(":delayed"))
    assert sorry["to"] == "ada@example.com" and "running late" in str(sorry["subject"])
    assert "don't need to do anything" in str(sorry["body"])


async def test_the_sorry_carries_the_platforms_new_estimate(
    http: httpx.AsyncClient, sandbox: Served, fast_ingress: Served
) -> None:
    shop = SfccShop(http, sandbox.url, fast_ingress.url, SFCC_SECRET)
    oid = order_id()
    doc = {**order_document(oid), "c_estimatedDelivery": "2026-12-10T12:00:00Z"}
    await shop.seeds.put("orders", oid, doc)
    assert (await shop.post("order.created", doc)).status_code == 202
    prefix = shop.order_workflow_id(oid) + ":delayed"
    [sorry] = await wait_messages(http, sandbox, prefix, 1)
    assert "It should now arrive by Dec 10, 2026." in str(sorry["body"])


async def told(http: httpx.AsyncClient, sandbox: Served, prefix: str, step: str) -> dict[str, object]:
    """The customer's message for `step` (other messages, like a passing ship SLA, may come between)."""
    [message] = await wait_messages(http, sandbox, prefix + step, 1)
    return message


async def test_sfcc_carrier_exceptions_reach_the_customer_with_what_to_do(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)
    oid = order_id()
    await shop.place_order(oid, phone=None)  # by email: the whole text
    prefix = shop.order_workflow_id(oid) + ":"
    await wait_messages(http, sandbox, prefix, 1)
    await shop.move(oid, OrderStage.SHIPPED)
    await told(http, sandbox, prefix, "shipped")
    await shop.move(oid, OrderStage.DELIVERY_FAILED)
    missed = await told(http, sandbox, prefix, "delivery_failed")
    assert "choose a new delivery day or a pickup point" in str(missed["body"])
    assert f"Track it: https://www.ups.com/track?tracknum=1Z999AA1{oid}" in str(missed["body"])
    await shop.move(oid, OrderStage.DELIVERY_FAILED)  # the carrier says it again: told once
    await shop.move(oid, OrderStage.RETURNED_TO_SENDER)
    back = await told(http, sandbox, prefix, "returned_to_sender")
    assert "sent again or refunded" in str(back["body"])
    sent = steps(await outbox(http, sandbox, prefix), prefix)
    assert sent.count("delivery_failed") == 1

    other = order_id()
    await shop.place_order(other, phone=None)
    other_prefix = shop.order_workflow_id(other) + ":"
    await wait_messages(http, sandbox, other_prefix, 1)
    moved = await shop.move(other, OrderStage.ADDRESS_PROBLEM)
    assert moved.status_code == 202, moved.text
    address = await told(http, sandbox, other_prefix, "address_problem")
    assert "reply with the full address" in str(address["body"])


async def test_a_refused_sap_consignment_tells_the_customer_it_is_coming_back(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    oid = order_id()
    await shop.place_order(oid)
    prefix = shop.order_workflow_id(oid) + ":"
    await wait_messages(http, sandbox, prefix, 1)
    await shop.move(oid, OrderStage.SHIPPED)
    await wait_messages(http, sandbox, prefix, 2)
    assert (await shop.move(oid, OrderStage.RETURNED_TO_SENDER)).status_code == 202
    back = await told(http, sandbox, prefix, "returned_to_sender")
    assert back["channel"] == "sms" and "resent or refunded" in str(back["text"])
