"""`BigCommerceShop` (tests/platforms/bigcommerce.py) without Temporal: the sandbox in process, and
in the ingress's place the same verification and parsing the ingress does, so each step is checked
for what reaches the sandbox and which canonical event BigCommerce's webhook becomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

import httpx
import pytest
from temporalio.client import Client

from connectors.bigcommerce.client import BigCommerceClient
from connectors.bigcommerce.signature import verify_webhook
from connectors.bigcommerce.webhooks import parse_webhook
from connectors.errors import WebhookAuthError, WebhookPayloadError
from connectors.sandbox import create_app
from domain.events import CaseKind, CommerceEvent, EventType, OrderStage
from tests.platforms.base import PlatformShop
from tests.platforms.bigcommerce import BigCommerceShop

SECRET = "shop-test-client-secret"
SANDBOX = "http://sandbox.test"
INGRESS = "http://ingress.test"


@dataclass
class Ingress(httpx.AsyncBaseTransport):
    """Routes sandbox calls to the sandbox app; answers webhooks as the ingress would before Temporal."""

    sandbox: httpx.ASGITransport
    events: list[CommerceEvent] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "sandbox.test":
            return await self.sandbox.handle_async_request(request)
        assert request.url.path == "/webhooks/bigcommerce"
        body = await request.aread()
        try:
            verify_webhook(
                request.headers,
                body,
                client_secret=SECRET,
                header_name="X-Webhook-Secret",
                header_secret=None,
            )
        except WebhookAuthError as exc:
            return _json(401, {"error": str(exc)})
        try:
            parsed = parse_webhook(body)
        except WebhookPayloadError as exc:
            return _json(400, {"error": str(exc)})
        self.events.extend(parsed.events)
        ids = [event.workflow_id() for event in parsed.events]
        return _json(202, {"status": "accepted", "workflow_ids": ids})


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


@dataclass
class World:
    shop: BigCommerceShop
    ingress: Ingress
    client: BigCommerceClient


@pytest.fixture
async def world() -> AsyncIterator[World]:
    ingress = Ingress(httpx.ASGITransport(app=create_app()))
    async with httpx.AsyncClient(transport=ingress) as http:
        shop = BigCommerceShop(http, SANDBOX, INGRESS, SECRET)
        yield World(shop, ingress, BigCommerceClient(http, SANDBOX, lambda store: "t"))


def test_it_is_a_platform_shop() -> None:
    shop: PlatformShop = BigCommerceShop(httpx.AsyncClient(), SANDBOX, INGRESS, SECRET)
    assert shop.platform == "bigcommerce"
    assert shop.order_workflow_id("12") == f"order:bigcommerce:{shop.store}:12"


async def test_placing_an_order_seeds_it_paid_and_posts_order_created(world: World) -> None:
    response = await world.shop.place_order("12", total="80.00", customer_id="31")
    assert response.status_code == 202
    assert response.json()["workflow_ids"] == [world.shop.order_workflow_id("12")]
    [event] = world.ingress.events
    assert (event.type, event.raw_scope) == (EventType.ORDER_CREATED, "store/order/created")
    snapshot = await world.client.fetch_order_snapshot(world.shop.store, "12")
    assert (snapshot.stage, snapshot.total, snapshot.customer.customer_id) == (
        OrderStage.PAYMENT_CONFIRMED,
        80,
        "31",
    )


async def test_a_pickup_order_carries_the_pickup_method(world: World) -> None:
    await world.shop.place_order("13", pickup=True)
    snapshot = await world.client.fetch_order_snapshot(world.shop.store, "13")
    addresses = await world.client.get_order_shipping_addresses(world.shop.store, "13")
    assert addresses[0]["shipping_method"] == "Pickup In Store"
    assert snapshot.stage is OrderStage.PAYMENT_CONFIRMED  # ready only when the merchant says so
    await world.shop.move("13", OrderStage.AWAITING_PICKUP)
    await world.shop.move("13", OrderStage.DELIVERED)
    moved = [e.order for e in world.ingress.events[1:]]
    assert [(o.stage, o.previous_stage) for o in moved if o] == [
        (OrderStage.AWAITING_PICKUP, OrderStage.PAYMENT_CONFIRMED),
        (OrderStage.DELIVERED, OrderStage.AWAITING_PICKUP),
    ]


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        (OrderStage.FRAUD_REVIEW, 12),
        (OrderStage.PAYMENT_FAILED, 6),
        (OrderStage.CANCELLED, 5),
        (OrderStage.DELIVERED, 10),
    ],
)
async def test_moves_set_the_status_and_post_status_updated(
    world: World, stage: OrderStage, status: int
) -> None:
    await world.shop.place_order("20")
    response = await world.shop.move("20", stage)
    assert response.status_code == 202
    event = world.ingress.events[-1]
    assert event.type is EventType.ORDER_STATUS_CHANGED and event.order is not None
    assert event.order.stage is stage
    order = await world.shop.shop.order(20)
    assert order is not None and order["status_id"] == status


async def test_shipping_adds_a_tracked_shipment(world: World) -> None:
    await world.shop.place_order("21")
    await world.shop.move("21", OrderStage.SHIPPED)
    event = world.ingress.events[-1]
    assert event.type is EventType.SHIPMENT_CREATED and event.order is not None
    snapshot = await world.client.fetch_order_snapshot(world.shop.store, "21")
    assert snapshot.stage is OrderStage.SHIPPED
    [shipment] = snapshot.shipments
    assert (shipment.shipment_id, shipment.tracking_number) == (event.order.shipment_id, "1Z21")


async def test_a_refund_is_told_to_the_order_and_its_case(world: World) -> None:
    await world.shop.place_order("22")
    await world.shop.move("22", OrderStage.REFUNDED)
    assert [e.type for e in world.ingress.events[-2:]] == [EventType.ORDER_REFUNDED, EventType.CASE_UPDATED]
    order = await world.shop.shop.order(22)
    assert order is not None and order["status_id"] == 4


async def test_out_for_delivery_is_skipped_and_other_stages_refused(world: World) -> None:
    await world.shop.place_order("23")
    with pytest.raises(pytest.skip.Exception, match="out-for-delivery"):
        await world.shop.move("23", OrderStage.OUT_FOR_DELIVERY)
    with pytest.raises(ValueError, match="placed"):
        await world.shop.move("23", OrderStage.PLACED)


async def test_carts_are_abandoned_and_converted(world: World) -> None:
    cart = "09346904-4175-44fd-be53-f7e598531b6c"
    await world.shop.abandon_cart(cart, customer_id="9", amount="64.00")
    snapshot = await world.client.fetch_cart_snapshot(world.shop.store, cart)
    assert (snapshot.total, snapshot.customer.customer_id) == (64, "9")
    await world.shop.convert_cart(cart, "30")
    abandoned, converted = world.ingress.events
    assert (abandoned.type, converted.type) == (EventType.CART_ABANDONED, EventType.CART_CONVERTED)
    assert converted.cart is not None and converted.cart.order_id == "30"
    assert (
        await world.shop.shop.http.get(
            f"{SANDBOX}/stores/{world.shop.store}/v3/carts/{cart}", headers={"X-Auth-Token": "t"}
        )
    ).status_code == 404


@pytest.mark.parametrize("kind", list(CaseKind))
async def test_a_message_on_the_order_opens_its_case(world: World, kind: CaseKind) -> None:
    response = await world.shop.open_case("C40", "40", kind, "The parcel never arrived")
    # Whatever the test calls the case, BigCommerce's is the order's conversation.
    assert response.json()["workflow_ids"] == [f"case:bigcommerce:{world.shop.store}:order-40"]
    [event] = world.ingress.events
    assert event.type is EventType.CASE_OPENED and event.raw_scope == "store/order/message/created"
    order = await world.shop.shop.order(40)
    assert order is not None and order["status_id"] == 2  # seeded, as it was not placed before


async def test_a_case_about_a_placed_order_leaves_the_order_as_it_is(world: World) -> None:
    await world.shop.place_order("41")
    await world.shop.open_case(world.shop.case_id("41"), "41", CaseKind.CUSTOMER_MESSAGE, "Gift wrap?")
    placed = await world.shop.shop.order(41)
    assert placed is not None and placed["status_id"] == 11


async def test_closing_a_case_needs_temporal(world: World) -> None:
    with pytest.raises(pytest.skip.Exception, match="case-closed"):
        await world.shop.close_case("C40", "40")


@dataclass
class Signals:
    """Stands in for the Temporal client: records the signals sent to workflow handles."""

    sent: list[tuple[str, str, CommerceEvent]] = field(default_factory=list)

    def get_workflow_handle(self, workflow_id: str) -> Signals.Handle:
        return Signals.Handle(self, workflow_id)

    @dataclass
    class Handle:
        signals: Signals
        workflow_id: str

        async def signal(self, name: str, event: CommerceEvent) -> None:
            self.signals.sent.append((self.workflow_id, name, event))


async def test_closing_a_case_signals_case_closed_to_the_orders_case() -> None:
    signals = Signals()
    shop = BigCommerceShop(httpx.AsyncClient(), SANDBOX, INGRESS, SECRET, temporal=cast(Client, signals))
    response = await shop.close_case("C40", "40")
    workflow_id = f"case:bigcommerce:{shop.store}:order-40"
    assert (response.status_code, response.json()["workflow_ids"]) == (202, [workflow_id])
    [(signalled, name, event)] = signals.sent
    assert (signalled, name, event.type) == (workflow_id, "commerce_event", EventType.CASE_CLOSED)
    assert event.case is not None and (event.case.case_id, event.case.order_id) == ("order-40", "40")
    assert event.workflow_id() == workflow_id


async def test_bad_auth_gets_401_and_malformed_gets_400(world: World) -> None:
    unauthentic = await world.shop.post_with_bad_auth()
    assert unauthentic.status_code == 401 and "signature" in unauthentic.json()["error"]
    malformed = await world.shop.post_malformed()
    assert malformed.status_code == 400 and malformed.json()["error"] == "data.id is missing"
    assert world.ingress.events == []


async def test_write_backs_are_the_staff_notes_tidings_wrote(world: World) -> None:
    await world.shop.place_order("50")
    assert await world.shop.write_backs("50") == []
    await world.client.add_order_note(world.shop.store, "50", "Pickup reminder sent by SMS")
    await world.client.add_case_comment(world.shop.store, "order-50", "50", "customer replied: 1")
    assert await world.shop.write_backs("50") == [
        "Pickup reminder sent by SMS",
        "Tidings case order-50: customer replied: 1",
    ]
    assert await world.shop.write_backs("404") == []


async def test_cancelled_in_platform_means_tidings_cancelled_it(world: World) -> None:
    await world.shop.place_order("60")
    await world.shop.place_order("61")
    assert not await world.shop.cancelled_in_platform("60")
    await world.client.cancel_and_restock(world.shop.store, "60", "Not collected: cancelled by Tidings")
    assert await world.shop.cancelled_in_platform("60")
    await world.shop.move("61", OrderStage.CANCELLED)  # the merchant's own cancellation
    assert not await world.shop.cancelled_in_platform("61")
    assert not await world.shop.cancelled_in_platform("404")
