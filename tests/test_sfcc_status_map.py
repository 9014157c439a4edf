"""The SFCC status table (connectors/sfcc/status_map.py): one case per row, read from realistic
OCAPI order documents, and the test shop's documents read as the stage it claims."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.errors import WebhookAuthError, WebhookPayloadError
from connectors.sandbox import sfcc_api
from connectors.sandbox.rejections import Reject, reject_handler
from connectors.sfcc import STAGE_RULES, parse_webhook, verify_webhook
from connectors.sfcc.documents import OrderDocument
from connectors.sfcc.simulate import SUPPORTED_STAGES, order_at_stage, order_document
from connectors.sfcc.status_map import PickupMethods, matching_rule, platform_status, stage_for
from domain.events import CaseKind, CommerceEvent, EventType, OrderStage
from tests.platforms.base import PlatformShop
from tests.platforms.sfcc import SfccShop

GROUND = {"shipment_id": "me", "shipping_method": {"id": "001-ground", "name": "Ground"}}
BOPIS = {"shipment_id": "me", "shipping_method": {"id": "BOPIS-store-pickup", "name": "Pick up in store"}}


def order(
    status: str,
    payment: str,
    shipping: str = "not_shipped",
    confirmation: str = "not_confirmed",
    shipment: dict[str, Any] | None = None,
    **custom: Any,
) -> dict[str, Any]:
    return {
        "order_no": "00001234",
        "status": status,
        "payment_status": payment,
        "shipping_status": shipping,
        "confirmation_status": confirmation,
        "currency": "USD",
        "order_total": 59.9,
        "shipments": [shipment or GROUND],
        **custom,
    }


# (rule, document, stage): each row of the table, plus the cases its "why" column argues about.
ROWS: list[tuple[str, dict[str, Any], OrderStage | None]] = [
    ("replaced", order("replaced", "paid", "shipped", "confirmed"), None),
    ("failed", order("failed", "not_paid"), OrderStage.PAYMENT_FAILED),
    ("cancelled", order("cancelled", "paid", "part_shipped", "confirmed"), OrderStage.CANCELLED),
    ("cancelled", order("cancelled", "paid", c_refundStatus="full"), OrderStage.CANCELLED),
    ("refunded", order("open", "paid", "shipped", "confirmed", c_refundStatus="full"), OrderStage.REFUNDED),
    (
        "partially_refunded",
        order(
            "completed",
            "paid",
            "shipped",
            "confirmed",
            c_deliveryStatus="delivered",
            c_refundStatus="partial",
        ),
        OrderStage.PARTIALLY_REFUNDED,
    ),
    ("fraud_review", order("new", "paid", c_fraudStatus="review"), OrderStage.FRAUD_REVIEW),
    # The carrier's exceptions are told as what they are, even on a shipped order.
    (
        "address_problem",
        order("open", "paid", "not_shipped", "confirmed", c_deliveryStatus="address_invalid"),
        OrderStage.ADDRESS_PROBLEM,
    ),
    (
        "returned",
        order("open", "paid", "shipped", "confirmed", c_deliveryStatus="returned"),
        OrderStage.RETURNED_TO_SENDER,
    ),
    (
        "delivery_failed",
        order("open", "paid", "shipped", "confirmed", c_deliveryStatus="failed_attempt"),
        OrderStage.DELIVERY_FAILED,
    ),
    (
        "fraud_review",
        order("open", "paid", "shipped", "confirmed", c_fraudStatus="review"),
        OrderStage.FRAUD_REVIEW,
    ),
    (
        "picked_up",
        order("completed", "paid", "shipped", "confirmed", BOPIS, c_pickupReady=True, c_pickedUp=True),
        OrderStage.DELIVERED,
    ),
    (
        "delivered",
        order("completed", "paid", "shipped", "confirmed", c_deliveryStatus="delivered"),
        OrderStage.DELIVERED,
    ),
    (
        "out_for_delivery",
        order("open", "paid", "shipped", "confirmed", c_deliveryStatus="out_for_delivery"),
        OrderStage.OUT_FOR_DELIVERY,
    ),
    ("shipped", order("open", "paid", "shipped", "confirmed"), OrderStage.SHIPPED),
    # "completed" is the merchant's processing done, not the parcel arriving.
    ("shipped", order("completed", "paid", "shipped", "confirmed"), OrderStage.SHIPPED),
    # c_pickedUp means nothing on an order that is not a pickup.
    ("shipped", order("open", "paid", "shipped", "confirmed", c_pickedUp=True), OrderStage.SHIPPED),
    ("part_shipped", order("open", "paid", "part_shipped", "confirmed"), OrderStage.PARTIALLY_SHIPPED),
    (
        "pickup_ready",
        order(
            "open", "paid", "not_shipped", "confirmed", GROUND, c_fromStoreId="store-0042", c_pickupReady=True
        ),
        OrderStage.AWAITING_PICKUP,
    ),
    # Pay in store: ready for pickup before any payment.
    (
        "pickup_ready",
        order("new", "not_paid", shipment=BOPIS, c_pickupReady=True),
        OrderStage.AWAITING_PICKUP,
    ),
    ("unpaid", order("created", "not_paid"), OrderStage.PLACED),
    ("unpaid", order("new", "not_paid"), OrderStage.PLACED),
    ("unpaid", order("open", "part_paid", confirmation="confirmed"), OrderStage.PLACED),
    (
        "pickup_preparing",
        order("open", "paid", confirmation="confirmed", shipment=BOPIS),
        OrderStage.PAYMENT_CONFIRMED,
    ),
    ("pickup_preparing", order("new", "paid", c_isPickup=True), OrderStage.PAYMENT_CONFIRMED),
    ("confirmed", order("open", "paid", confirmation="confirmed"), OrderStage.AWAITING_SHIPMENT),
    ("paid", order("new", "paid"), OrderStage.PAYMENT_CONFIRMED),
    ("paid", order("completed", "paid"), OrderStage.PAYMENT_CONFIRMED),
]


@pytest.mark.parametrize(
    ("rule", "doc", "stage"), ROWS, ids=[f"{r}-{d['status']}-{d['shipping_status']}" for r, d, _ in ROWS]
)
def test_each_row_of_the_table(rule: str, doc: dict[str, Any], stage: OrderStage | None) -> None:
    facts = OrderDocument.model_validate(doc).facts()
    assert matching_rule(facts).name == rule
    assert stage_for(facts) is stage


def test_every_row_of_the_table_has_a_case_above() -> None:
    assert {rule.name for rule in STAGE_RULES} == {rule for rule, _, _ in ROWS}


def test_the_last_row_catches_every_order() -> None:
    assert STAGE_RULES[-1].holds(OrderDocument.model_validate(order("new", "paid")).facts())


def test_statuses_are_read_in_any_case() -> None:
    doc = order("OPEN", "PAID", "Shipped", "Confirmed")
    assert stage_for(OrderDocument.model_validate(doc).facts()) is OrderStage.SHIPPED


def test_platform_status_is_status_payment_shipping() -> None:
    facts = OrderDocument.model_validate(order("open", "paid", "not_shipped", "confirmed")).facts()
    assert platform_status(facts) == "open/paid/not_shipped"


@pytest.mark.parametrize(
    ("method_id", "pickup"),
    [
        ("BOPIS-store-pickup", True),
        ("instore_pickup", True),
        ("STORE-collect", True),
        ("bopis", True),
        ("001-ground", False),
        ("EXPRESS-overnight", False),
    ],
)
def test_pickup_orders_are_told_by_their_shipping_method_by_default(method_id: str, pickup: bool) -> None:
    shipment = {"shipment_id": "me", "shipping_method": {"id": method_id}}
    doc = OrderDocument.model_validate(order("open", "paid", shipment=shipment, c_pickupReady=True))
    assert doc.pickup() is pickup
    assert stage_for(doc.facts()) is (OrderStage.AWAITING_PICKUP if pickup else OrderStage.PAYMENT_CONFIRMED)


def test_a_merchant_names_its_own_pickup_methods() -> None:
    shipment = {"shipment_id": "me", "shipping_method": {"id": "CLICK-AND-COLLECT"}}
    doc = OrderDocument.model_validate(order("open", "paid", shipment=shipment, c_pickupReady=True))
    assert not doc.pickup()
    own = PickupMethods(ids=frozenset({"CLICK-AND-COLLECT"}), fragments=())
    assert doc.pickup(own)
    assert stage_for(doc.facts(own)) is OrderStage.AWAITING_PICKUP
    # With the fragments turned off, "store" in an id no longer makes a pickup.
    other = OrderDocument.model_validate(
        order("open", "paid", shipment={"shipping_method": {"id": "store-ship"}})
    )
    assert not other.pickup(own)


# ---- the simulator and the test shop ------------------------------------------------------------


@pytest.mark.parametrize("pickup", [False, True], ids=["shipped", "pickup"])
@pytest.mark.parametrize("stage", sorted(SUPPORTED_STAGES))
def test_order_at_stage_reads_as_that_stage(stage: OrderStage, pickup: bool) -> None:
    placed = order_document("1001", pickup=pickup)
    assert stage_for(OrderDocument.model_validate(placed).facts()) is OrderStage.PAYMENT_CONFIRMED
    if pickup and stage is OrderStage.AWAITING_SHIPMENT:
        with pytest.raises(ValueError, match="pickup order never waits"):
            order_at_stage(placed, stage)
        return
    # From the placed order, and from an order that went through a fraud review first.
    for start in (placed, order_at_stage(placed, OrderStage.FRAUD_REVIEW)):
        moved = order_at_stage(start, stage)
        assert stage_for(OrderDocument.model_validate(moved).facts()) is stage


SECRET = "shop-secret"


@pytest.fixture
async def shop_and_events() -> AsyncIterator[tuple[SfccShop, list[CommerceEvent]]]:
    """The shop against the sandbox router, and an ingress stand-in that verifies and parses."""
    sandbox = FastAPI()
    sandbox.add_exception_handler(Reject, reject_handler)
    sandbox.include_router(sfcc_api.router)
    received: list[CommerceEvent] = []
    ingress = FastAPI()

    @ingress.post("/webhooks/sfcc")
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verify_webhook(request.headers, body, secret=SECRET)
            parsed = parse_webhook(body)
        except WebhookAuthError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        except WebhookPayloadError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        received.extend(parsed.events)
        return JSONResponse({"status": "accepted"}, status_code=202)

    mounts = {"http://sandbox": httpx.ASGITransport(sandbox), "http://ingress": httpx.ASGITransport(ingress)}
    async with httpx.AsyncClient(mounts=mounts) as http:
        shop: PlatformShop = SfccShop(http, "http://sandbox", "http://ingress", SECRET)  # mypy checks the fit
        assert isinstance(shop, SfccShop)
        yield shop, received


MOVES = [
    OrderStage.PAYMENT_CONFIRMED,
    OrderStage.FRAUD_REVIEW,
    OrderStage.PAYMENT_FAILED,
    OrderStage.AWAITING_PICKUP,
    OrderStage.SHIPPED,
    OrderStage.OUT_FOR_DELIVERY,
    OrderStage.DELIVERED,
    OrderStage.CANCELLED,
    OrderStage.REFUNDED,
]


@pytest.mark.parametrize("pickup", [False, True], ids=["shipped", "pickup"])
async def test_the_shop_seeds_and_announces_each_stage_it_claims(
    shop_and_events: tuple[SfccShop, list[CommerceEvent]], pickup: bool
) -> None:
    shop, received = shop_and_events
    response = await shop.place_order("2001", pickup=pickup)
    assert response.status_code == 202
    created = received[-1]
    assert created.type is EventType.ORDER_CREATED and created.store == shop.store
    assert created.workflow_id() == shop.order_workflow_id("2001")
    assert created.order is not None and created.order.stage is OrderStage.PAYMENT_CONFIRMED
    assert created.customer.customer_id == "7" and created.customer.email == "ada@example.com"

    for stage in MOVES:
        response = await shop.move("2001", stage)
        assert response.status_code == 202, response.text
        seeded = OrderDocument.model_validate(await shop.order("2001"))
        assert stage_for(seeded.facts()) is stage  # what hydration will read
        event = next(
            e
            for e in reversed(received)
            if e.order is not None and e.type is not EventType.PICKUP_WINDOW_CHANGED
        )
        if stage is OrderStage.REFUNDED:
            assert event.type is EventType.ORDER_REFUNDED
            assert event.order is not None and event.order.refund_id
        else:
            assert event.type is EventType.ORDER_STATUS_CHANGED
            assert event.order is not None and event.order.stage is stage


async def test_the_shop_plays_baskets_cases_and_bad_requests(
    shop_and_events: tuple[SfccShop, list[CommerceEvent]],
) -> None:
    shop, received = shop_and_events
    await shop.place_order("3001")
    assert (await shop.abandon_cart("bk-1", amount="129.00")).status_code == 202
    assert received[-1].type is EventType.CART_ABANDONED and received[-1].cart is not None
    assert (await shop.convert_cart("bk-1", "3001")).status_code == 202
    converted = received[-1]
    assert converted.type is EventType.CART_CONVERTED
    assert converted.cart is not None and converted.cart.order_id == "3001"

    assert (
        await shop.open_case("00001026", "3001", CaseKind.RETURN_REQUEST, "The mug arrived chipped")
    ).status_code == 202
    opened = received[-1]
    assert opened.type is EventType.CASE_OPENED and opened.case is not None
    assert (opened.case.case_id, opened.case.order_id, opened.case.detail) == (
        "00001026",
        "3001",
        "The mug arrived chipped",
    )
    assert (await shop.close_case("00001026", "3001")).status_code == 202
    assert received[-1].type is EventType.CASE_CLOSED

    assert (await shop.post_with_bad_auth()).status_code == 401
    malformed = await shop.post_malformed()
    assert malformed.status_code == 400 and "order_no" in malformed.json()["error"]
    assert await shop.write_backs("3001") == []
    assert not await shop.cancelled_in_platform("3001")
