"""The journeys end to end from each platform's own payloads: the same stories (an order shipped and
delivered, a fraud review and a cancellation, an abandoned cart recovered, a click-and-collect order
collected or expired and cancelled on the platform, a service case answered by SMS and written back)
played through BigCommerce's signed thin webhooks, the SFCC envelope and SAP Commerce's integration
objects. Each platform's store double lives in tests/platforms/."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from temporalio.client import Client

from domain.events import (
    CaseKind,
    OrderStage,
    Platform,
    cart_workflow_id,
    case_workflow_id,
    pickup_workflow_id,
)
from tests.conftest import API_TOKEN, SAP_PASSWORD, SAP_USER, SFCC_SECRET, WEBHOOK_SECRET, Served
from tests.platforms.base import PlatformShop
from tests.platforms.bigcommerce import BigCommerceShop
from tests.platforms.sap import SapShop
from tests.platforms.sfcc import SfccShop
from tests.shop import eventually
from workflows.abandoned_cart import AbandonedCart, CartStatus
from workflows.order_lifecycle import OrderLifecycle, OrderStatus
from workflows.pickup import PickupStatus
from workflows.service_case import CaseStatus, ServiceCase

PLATFORMS = [Platform.BIGCOMMERCE.value, Platform.SFCC.value, Platform.SAP_COMMERCE.value]

ShopFactory = Callable[[str], PlatformShop]


def _shop(platform: str, http: httpx.AsyncClient, sandbox: str, ingress: str, client: Client) -> PlatformShop:
    if platform == Platform.BIGCOMMERCE:  # it has no case-closed webhook: the test tells Temporal itself
        return BigCommerceShop(http, sandbox, ingress, WEBHOOK_SECRET, API_TOKEN, temporal=client)
    if platform == Platform.SFCC:
        return SfccShop(http, sandbox, ingress, SFCC_SECRET)
    return SapShop(http, sandbox, ingress, SAP_USER, SAP_PASSWORD)


@pytest.fixture(params=PLATFORMS)
def shop(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, sandbox: Served, ingress: Served, client: Client
) -> PlatformShop:
    return _shop(request.param, http, sandbox.url, ingress.url, client)


@pytest.fixture(params=PLATFORMS)
def fast_shop(
    request: pytest.FixtureRequest,
    http: httpx.AsyncClient,
    sandbox: Served,
    fast_ingress: Served,
    ingress: Served,
    client: Client,
) -> PlatformShop:
    """Journeys started with the stronger time compression (days in seconds); replies still reach
    the main ingress, which the sandbox calls back."""
    return _shop(request.param, http, sandbox.url, fast_ingress.url, client)


async def outbox(http: httpx.AsyncClient, sandbox: Served, prefix: str) -> list[dict[str, object]]:
    r = await http.get(f"{sandbox.url}/sandbox/messages")
    r.raise_for_status()
    return [m for m in r.json() if str(m.get("reference") or "").startswith(prefix)]


def steps(messages: list[dict[str, object]], prefix: str) -> list[str]:
    return [str(m["reference"])[len(prefix) :] for m in messages]


async def wait_messages(
    http: httpx.AsyncClient, sandbox: Served, prefix: str, n: int
) -> list[dict[str, object]]:
    async def enough() -> bool:
        return len(await outbox(http, sandbox, prefix)) >= n

    try:
        await eventually(enough, what=f"{n} messages for {prefix}")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; outbox has {steps(await outbox(http, sandbox, prefix), prefix)}"
        ) from None
    return await outbox(http, sandbox, prefix)


def order_id() -> str:
    return str(uuid.uuid4().int % 10**8)


async def test_bad_credentials_get_401_and_malformed_bodies_400(shop: PlatformShop) -> None:
    bad = await shop.post_with_bad_auth()
    assert bad.status_code == 401, bad.text
    assert bad.json()["error"]
    malformed = await shop.post_malformed()
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]


async def test_an_order_is_told_once_per_stage_until_delivered(
    shop: PlatformShop, client: Client, http: httpx.AsyncClient, sandbox: Served
) -> None:
    oid = order_id()
    assert (await shop.place_order(oid)).status_code == 202
    prefix = shop.order_workflow_id(oid) + ":"
    [confirmed] = await wait_messages(http, sandbox, prefix, 1)
    assert confirmed["channel"] == "email" and confirmed["to"] == "ada@example.com"
    assert (await shop.move(oid, OrderStage.SHIPPED)).status_code == 202
    await wait_messages(http, sandbox, prefix, 2)
    assert (await shop.move(oid, OrderStage.DELIVERED)).status_code == 202
    sent = await wait_messages(http, sandbox, prefix, 3)

    assert steps(sent, prefix)[1:] == ["shipped", "delivered"]
    assert steps(sent, prefix)[0] in {"placed", "payment_confirmed", "awaiting_shipment"}
    assert sent[1]["channel"] == "sms" and sent[1]["to"] == "+14155550101"
    status: OrderStatus = await client.get_workflow_handle(shop.order_workflow_id(oid)).query(
        OrderLifecycle.status
    )
    assert status.stage == OrderStage.DELIVERED
    assert status.order_value is not None and float(status.order_value) == 59.90
    found = [wf.id async for wf in client.list_workflows(f"OrderId = '{oid}' AND StoreId = '{shop.store}'")]
    assert shop.order_workflow_id(oid) in found


async def test_fraud_review_alerts_operations_and_a_cancellation_is_told(
    shop: PlatformShop, http: httpx.AsyncClient, sandbox: Served
) -> None:
    oid = order_id()
    await shop.place_order(oid)
    prefix = shop.order_workflow_id(oid) + ":"
    await wait_messages(http, sandbox, prefix, 1)
    assert (await shop.move(oid, OrderStage.FRAUD_REVIEW)).status_code == 202
    # the customer hears their order is being checked; operations hear why
    await wait_messages(http, sandbox, prefix, 3)
    assert (await shop.move(oid, OrderStage.CANCELLED)).status_code == 202
    sent = await wait_messages(http, sandbox, prefix, 4)
    assert sorted(steps(sent, prefix)[1:3]) == ["fraud_review", "ops:fraud_review"]
    assert steps(sent, prefix)[3] == "cancelled"
    alert = next(m for m in sent if str(m["reference"]).endswith("ops:fraud_review"))
    assert alert["to"] == "ops@shop.test"


async def test_an_abandoned_cart_is_reminded_then_recovered(
    fast_shop: PlatformShop, client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = fast_shop
    cart = uuid.uuid4().hex[:12]
    opted = await http.put(
        f"{ingress.url}/customers/{shop.platform}/{shop.store}/7/preferences",
        json={"marketing_opt_in": ["email"]},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    opted.raise_for_status()
    assert (await shop.abandon_cart(cart)).status_code == 202
    workflow_id = cart_workflow_id(shop.platform, shop.store, cart)
    [reminder] = await wait_messages(http, sandbox, workflow_id + ":", 1)
    assert reminder["channel"] == "email" and reminder["to"] == "ada@example.com"

    assert (await shop.convert_cart(cart, order_id())).status_code == 202

    async def recovered() -> bool:
        status: CartStatus = await client.get_workflow_handle(workflow_id).query(AbandonedCart.status)
        return status.outcome.state == "recovered"

    await eventually(recovered, what="the cart recovered")


async def test_a_pickup_order_is_ready_then_collected(
    shop: PlatformShop, client: Client, http: httpx.AsyncClient, sandbox: Served
) -> None:
    oid = order_id()
    await shop.place_order(oid, pickup=True)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    assert (await shop.move(oid, OrderStage.AWAITING_PICKUP)).status_code == 202
    prefix = pickup_workflow_id(shop.platform, shop.store, oid) + ":"
    [ready] = await wait_messages(http, sandbox, prefix, 1)
    assert ready["channel"] == "sms" and "ready for pickup" in str(ready["text"])
    assert (await shop.move(oid, OrderStage.DELIVERED)).status_code == 202
    result: PickupStatus = await client.get_workflow_handle(prefix[:-1], result_type=PickupStatus).result()
    assert result.state == "collected"
    assert steps(await outbox(http, sandbox, prefix), prefix)[-1] == "collected"


async def test_an_uncollected_pickup_is_cancelled_and_restocked_on_the_platform(
    fast_shop: PlatformShop, client: Client, http: httpx.AsyncClient, sandbox: Served
) -> None:
    shop = fast_shop
    oid = order_id()
    await shop.place_order(oid, pickup=True)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    await shop.move(oid, OrderStage.AWAITING_PICKUP)
    workflow_id = pickup_workflow_id(shop.platform, shop.store, oid)
    await wait_messages(http, sandbox, workflow_id + ":", 1)  # ready for pickup: the journey is on
    result: PickupStatus = await client.get_workflow_handle(workflow_id, result_type=PickupStatus).result()
    assert result.state == "expired"
    assert await shop.cancelled_in_platform(oid)
    assert any("not collected" in note for note in await shop.write_backs(oid))


async def test_a_service_case_is_answered_by_sms_and_written_back(
    shop: PlatformShop, client: Client, http: httpx.AsyncClient, sandbox: Served
) -> None:
    oid = order_id()
    case_id = f"C{oid}"
    phone = f"+1415555{int(oid) % 10000:04d}"
    await shop.place_order(oid, phone=phone)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    opened = await shop.open_case(case_id, oid, CaseKind.DELIVERY_DISPUTE, "The parcel never arrived")
    assert opened.status_code == 202, opened.text
    workflow_ids = opened.json()["workflow_ids"]
    assert len(workflow_ids) >= 1 and workflow_ids[0].startswith(f"case:{shop.platform}:{shop.store}:")
    workflow_id = workflow_ids[0]
    [note] = await wait_messages(http, sandbox, f"{workflow_id}:opened", 1)
    assert note["to"] == phone

    answered = await http.post(f"{sandbox.url}/sandbox/reply", json={"from": phone, "text": "2"})
    assert answered.status_code == 202 and answered.json()["handling"] == "routed"

    async def written_back() -> bool:
        return any('customer replied by sms: "2"' in text for text in await shop.write_backs(oid))

    await eventually(written_back, what="the reply written back into the platform")
    assert (await shop.close_case(case_id, oid)).status_code == 202
    result: CaseStatus = await client.get_workflow_handle(workflow_id, result_type=CaseStatus).result()
    assert result.state == "closed"
    assert workflow_id == case_workflow_id(shop.platform, shop.store, workflow_id.split(":", 3)[3])
    status: CaseStatus = await client.get_workflow_handle(workflow_id).query(ServiceCase.status)
    assert [line.text for line in status.transcript if line.who == "customer"] == ["2"]
