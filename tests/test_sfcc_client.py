"""SfccClient against the sandbox's SFCC stand-in (OCAPI + Account Manager + Service Cloud), served
in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from connectors.errors import ProviderError
from connectors.platform import CommercePlatformClient
from connectors.sandbox import sfcc_api
from connectors.sandbox.rejections import Reject, reject_handler
from connectors.sfcc import PickupMethods, SfccApiConfig, SfccClient
from connectors.sfcc.simulate import basket_document, case_record, order_at_stage, order_document
from domain.events import CaseKind, OrderStage, Platform

SITE = "RefArch"
ROOT = "http://sandbox.test"


class Sandbox:
    def __init__(self, app: FastAPI, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http

    @property
    def state(self) -> sfcc_api.SfccSandbox:
        state: sfcc_api.SfccSandbox = self.app.state.sfcc
        return state

    async def put(self, path: str, body: Any) -> Any:
        r = await self.http.put(f"{ROOT}/sandbox/sfcc/{path}", json=body)
        r.raise_for_status()
        return r.json()

    async def order(self, order_no: str, site: str = SITE) -> dict[str, Any]:
        r = await self.http.get(f"{ROOT}/sandbox/sfcc/{site}/orders/{order_no}")
        r.raise_for_status()
        doc: dict[str, Any] = r.json()
        return doc


def config_for(**overrides: Any) -> Callable[[str], SfccApiConfig]:
    def config(site: str) -> SfccApiConfig:
        if site == "Unknown":
            raise LookupError(f"no SFCC credentials for site {site}")
        settings: dict[str, Any] = {
            "base_url": ROOT,
            "client_id": "tidings-test",
            "client_secret": SecretStr("s3cret"),
            "token_url": f"{ROOT}/sfcc/oauth2/access_token",
            "service_cloud_url": ROOT,
            **overrides,
        }
        return SfccApiConfig(**settings)

    return config


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    app = FastAPI()
    app.add_exception_handler(Reject, reject_handler)
    app.include_router(sfcc_api.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as http:
        await http.put(f"{ROOT}/sandbox/sfcc/faults", json=[])  # creates the state
        yield Sandbox(app, http)


@pytest.fixture
def client(sandbox: Sandbox) -> SfccClient:
    return SfccClient(sandbox.http, config_for())


def test_it_is_a_commerce_platform_client(client: SfccClient) -> None:
    implementation: CommercePlatformClient = client
    assert implementation.platform is Platform.SFCC


# ---- reads --------------------------------------------------------------------------------------


async def test_an_order_snapshot_has_what_the_messages_need(sandbox: Sandbox, client: SfccClient) -> None:
    doc = order_at_stage(order_document("00001234", total="59.90", customer_no="00012"), OrderStage.SHIPPED)
    doc["creation_date"] = "2026-11-23T09:00:00.000Z"
    doc["c_locale"] = "fr_FR"
    await sandbox.put(f"{SITE}/orders/00001234", doc)

    snap = await client.fetch_order_snapshot(SITE, "00001234")
    assert (snap.platform, snap.store, snap.order_id) == (Platform.SFCC, SITE, "00001234")
    assert (snap.stage, snap.platform_status) == (OrderStage.SHIPPED, "open/paid/shipped")
    assert (snap.total, snap.currency) == (Decimal("59.9"), "USD")
    assert snap.created_at == datetime(2026, 11, 23, 9, tzinfo=UTC)
    customer = snap.customer
    assert (customer.customer_id, customer.name, customer.email, customer.phone) == (
        "00012",
        "Ada Lovelace",
        "ada@example.com",
        "+14155550101",
    )
    assert (customer.locale, customer.country) == ("fr", "US")
    [line] = snap.lines
    assert (line.name, line.sku, line.quantity, line.price) == ("Mug", "MUG-1", 2, Decimal("29.95"))
    [shipment] = snap.shipments
    assert (shipment.carrier, shipment.tracking_number, shipment.shipping_method) == (
        "UPS",
        "1Z999AA100001234",
        "Ground",
    )
    assert shipment.tracking_link == "https://www.ups.com/track?tracknum=1Z999AA100001234"
    assert snap.shipping_city == "San Francisco"


async def test_the_sites_pickup_methods_decide_the_stage(sandbox: Sandbox) -> None:
    doc = order_at_stage(order_document("00001300"), OrderStage.AWAITING_SHIPMENT)
    doc["shipments"][0]["shipping_method"] = {"id": "CLICK-AND-COLLECT", "name": "Collect"}
    doc["c_pickupReady"] = True
    await sandbox.put(f"{SITE}/orders/00001300", doc)
    default = SfccClient(sandbox.http, config_for())
    assert (await default.fetch_order_snapshot(SITE, "00001300")).stage is OrderStage.AWAITING_SHIPMENT
    own = SfccClient(
        sandbox.http, config_for(pickup_methods=PickupMethods(ids=frozenset({"CLICK-AND-COLLECT"})))
    )
    assert (await own.fetch_order_snapshot(SITE, "00001300")).stage is OrderStage.AWAITING_PICKUP


async def test_an_unknown_order_is_not_found_for_good(sandbox: Sandbox, client: SfccClient) -> None:
    with pytest.raises(ProviderError) as error:
        await client.fetch_order_snapshot(SITE, "99999999")
    assert (error.value.kind, error.value.transient, error.value.status) == ("not_found", False, 404)
    assert "OrderNotFoundException" in str(error.value)
    # Orders are per site.
    await sandbox.put(f"{SITE}/orders/00001234", order_document("00001234"))
    with pytest.raises(ProviderError, match="OrderNotFoundException"):
        await client.fetch_order_snapshot("RefArch-EU", "00001234")


async def test_a_replaced_order_has_no_snapshot(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(f"{SITE}/orders/00001234", {**order_document("00001234"), "status": "replaced"})
    with pytest.raises(ProviderError, match="replaced") as error:
        await client.fetch_order_snapshot(SITE, "00001234")
    assert error.value.kind == "not_found" and not error.value.transient


async def test_a_basket_snapshot_and_a_basket_that_is_gone(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(
        f"{SITE}/baskets/bk-9f2", basket_document("bk-9f2", amount="129.00", customer_no="00012")
    )
    cart = await client.fetch_cart_snapshot(SITE, "bk-9f2")
    assert (cart.cart_id, cart.total, cart.currency) == ("bk-9f2", Decimal("129.0"), "USD")
    assert (cart.customer.customer_id, cart.customer.email, cart.customer.phone) == (
        "00012",
        "ada@example.com",
        "+14155550101",
    )
    assert cart.checkout_url == "https://shop.example/checkout?basket=bk-9f2"
    [line] = cart.lines
    assert (line.name, line.sku, line.price, line.url) == (
        "Trail Shoes",
        "TS-1",
        Decimal("129.0"),
        "https://shop.example/ts",
    )

    await sandbox.http.delete(f"{ROOT}/sandbox/sfcc/{SITE}/baskets/bk-9f2")
    with pytest.raises(ProviderError, match="BasketNotFoundException") as error:
        await client.fetch_cart_snapshot(SITE, "bk-9f2")
    assert error.value.kind == "not_found"


async def test_products_and_stock(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(
        f"{SITE}/products/TEA-1",
        {
            "name": "Breakfast Tea, 100 bags",
            "price": 8.5,
            "currency": "USD",
            "primary_category_id": "groceries-tea",
            "inventory": {"id": "inventory_m", "ats": 37.0, "stock_level": 40.0, "orderable": True},
            "image_groups": [{"view_type": "large", "images": [{"link": "https://img.example/tea.jpg"}]}],
            "c_url": "https://shop.example/tea-1",
            "c_replenishDays": "30",
        },
    )
    await sandbox.put(f"{SITE}/products/MUG-1", {"name": "Mug", "primary_category_id": "kitchen"})

    products = await client.fetch_products(SITE, ["TEA-1", "GONE-1", "MUG-1", "TEA-1"])
    assert [p.product_id for p in products] == ["TEA-1", "MUG-1"]
    tea = products[0]
    assert (tea.name, tea.sku, tea.categories, tea.replenish_days) == (
        "Breakfast Tea, 100 bags",
        "TEA-1",
        ["groceries-tea"],
        30,
    )
    assert (tea.url, tea.image_url) == ("https://shop.example/tea-1", "https://img.example/tea.jpg")
    assert products[1].replenish_days is None

    assert await client.fetch_stock(SITE, "TEA-1") == 37
    assert await client.fetch_stock(SITE, "MUG-1") is None  # no inventory record: not tracked
    with pytest.raises(ProviderError, match="ProductNotFoundException"):
        await client.fetch_stock(SITE, "GONE-1")


async def test_purchased_since_finds_the_customers_who_ordered_the_sku(
    sandbox: Sandbox, client: SfccClient
) -> None:
    def placed(
        order_no: str, customer_no: str | None, product: str, when: str, status: str = "new"
    ) -> dict[str, Any]:
        doc = order_document(order_no, customer_no=customer_no, product_id=product)
        return {**doc, "creation_date": when, "status": status}

    for doc in (
        placed("1", "00012", "MUG-1", "2026-11-20T10:00:00.000Z"),  # yes
        placed("2", "00013", "MUG-1", "2026-11-01T10:00:00.000Z"),  # before `since`
        placed("3", "00014", "TEA-1", "2026-11-21T10:00:00.000Z"),  # another product
        placed("4", "00015", "MUG-1", "2026-11-21T10:00:00.000Z", status="failed"),  # never placed
        placed("5", "00016", "MUG-1", "2026-11-22T10:00:00.000Z", status="completed"),  # yes
        placed("6", None, "MUG-1", "2026-11-22T10:00:00.000Z"),  # a guest: not asked about
        placed("7", "00017", "MUG-1", "2026-11-22T10:00:00.000Z"),  # not asked about
    ):
        await sandbox.put(f"{SITE}/orders/{doc['order_no']}", doc)
    await sandbox.put(
        "RefArch-EU/orders/8", placed("8", "00013", "MUG-1", "2026-11-22T10:00:00.000Z")
    )  # other site

    since = datetime(2026, 11, 15, tzinfo=UTC)
    asked = ["00016", "00012", "00013", "00014", "00015"]
    assert await client.purchased_since(SITE, "MUG-1", asked, since) == ["00016", "00012"]
    assert await client.purchased_since(SITE, "MUG-1", [], since) == []


# ---- writes -------------------------------------------------------------------------------------


async def test_an_order_note_is_added_once(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(f"{SITE}/orders/00001234", order_document("00001234"))
    await client.add_order_note(SITE, "00001234", "Customer acknowledged the shipped message by sms")
    await client.add_order_note(
        SITE, "00001234", "Customer acknowledged the shipped message by sms"
    )  # a retry
    await client.add_order_note(SITE, "00001234", "Pickup reminder sent")
    notes = (await sandbox.order("00001234"))["notes"]
    assert [(n["subject"], n["text"]) for n in notes] == [
        ("Tidings", "Customer acknowledged the shipped message by sms"),
        ("Tidings", "Pickup reminder sent"),
    ]


async def test_cancel_and_restock_cancels_once_and_says_why(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(f"{SITE}/orders/00001240", order_document("00001240", pickup=True))
    note = "Not collected within the pickup window: cancelled and restocked by Tidings"
    await client.cancel_and_restock(SITE, "00001240", note)
    await client.cancel_and_restock(SITE, "00001240", note)  # a retried activity
    order = await sandbox.order("00001240")
    assert order["status"] == "cancelled"
    assert [w["body"] for w in order["api_writes"]] == [{"status": "cancelled"}]
    assert [n["text"] for n in order["notes"]] == [note]


async def test_a_completed_order_cannot_be_cancelled(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(
        f"{SITE}/orders/00001241", order_at_stage(order_document("00001241"), OrderStage.DELIVERED)
    )
    with pytest.raises(ProviderError, match="OrderStatusTransitionException") as error:
        await client.cancel_and_restock(SITE, "00001241", "too late")
    assert (error.value.status, error.value.transient) == (400, False)


async def test_a_case_comment_goes_to_the_service_cloud_case_once(
    sandbox: Sandbox, client: SfccClient
) -> None:
    record = await sandbox.put(
        f"{SITE}/cases/00001026", case_record("00001026", "00001234", CaseKind.RETURN_REQUEST, "Chipped mug")
    )
    text = 'customer replied by sms: "1" (refund)'
    assert await client.add_case_comment(SITE, "00001026", "00001234", text) == "comment on case 00001026"
    assert await client.add_case_comment(SITE, "00001026", "00001234", text) == "comment on case 00001026"
    r = await sandbox.http.get(f"{ROOT}/sandbox/sfcc/{SITE}/case-comments")
    assert [(c["ParentId"], c["CaseNumber"], c["order_no"], c["CommentBody"]) for c in r.json()] == [
        (record["Id"], "00001026", "00001234", text)
    ]


async def test_a_case_service_cloud_does_not_have_becomes_an_order_note(
    sandbox: Sandbox, client: SfccClient
) -> None:
    await sandbox.put(f"{SITE}/orders/00001234", order_document("00001234"))
    where = await client.add_case_comment(SITE, "order-00001234", "00001234", "customer acknowledged: GOT IT")
    assert where == "note on order 00001234 (no Service Cloud case order-00001234)"
    assert [n["text"] for n in (await sandbox.order("00001234"))["notes"]] == [
        "[case order-00001234] customer acknowledged: GOT IT"
    ]
    with pytest.raises(ProviderError, match="no case 00009999") as error:
        await client.add_case_comment(SITE, "00009999", None, "hello")
    assert error.value.kind == "not_found"


async def test_a_case_number_with_a_quote_cannot_break_the_query(
    sandbox: Sandbox, client: SfccClient
) -> None:
    await sandbox.put(f"{SITE}/cases/0001", case_record("0001", None, CaseKind.CUSTOMER_MESSAGE, "hi"))
    with pytest.raises(ProviderError, match="no case"):
        await client.add_case_comment(SITE, "x' OR CaseNumber = '0001", None, "hello")
    assert sandbox.state.comments == []


# ---- authentication and errors ------------------------------------------------------------------


async def test_the_token_is_fetched_once_and_again_after_a_401(sandbox: Sandbox, client: SfccClient) -> None:
    await sandbox.put(f"{SITE}/orders/00001234", order_document("00001234"))
    await client.fetch_order_snapshot(SITE, "00001234")
    await client.add_order_note(SITE, "00001234", "one")
    assert sandbox.state.token_requests == 1
    sandbox.state.tokens.clear()  # revoked on the server's side before it expired
    await client.fetch_order_snapshot(SITE, "00001234")
    assert sandbox.state.token_requests == 2


@pytest.mark.parametrize(("status", "retry_after"), [(429, 7), (503, None), (500, None), (408, 2)])
async def test_throttling_and_server_errors_are_transient(
    sandbox: Sandbox, client: SfccClient, status: int, retry_after: int | None
) -> None:
    await sandbox.put(f"{SITE}/orders/00001234", order_document("00001234"))
    fault: dict[str, Any] = {"status": status, "times": 1, "path_contains": "/orders/"}
    if retry_after is not None:
        fault["retry_after"] = retry_after
    await sandbox.http.put(f"{ROOT}/sandbox/sfcc/faults", json=[fault])
    with pytest.raises(ProviderError) as error:
        await client.fetch_order_snapshot(SITE, "00001234")
    assert (error.value.status, error.value.transient) == (status, True)
    assert error.value.retry_after == (float(retry_after) if retry_after is not None else None)
    assert (await client.fetch_order_snapshot(SITE, "00001234")).order_id == "00001234"  # the next call works


async def test_a_site_without_configuration_is_a_permanent_error(client: SfccClient) -> None:
    with pytest.raises(ProviderError, match="no SFCC credentials") as error:
        await client.fetch_order_snapshot("Unknown", "1")
    assert (error.value.kind, error.value.transient) == ("SFCCNotConfigured", False)


async def test_a_refusing_token_endpoint_is_reported_as_sfccs(sandbox: Sandbox) -> None:
    client = SfccClient(sandbox.http, config_for(token_url=f"{ROOT}/no/such/token/endpoint"))
    with pytest.raises(ProviderError) as error:
        await client.fetch_order_snapshot(SITE, "1")
    assert error.value.provider == "SFCC" and error.value.kind.startswith("SFCCToken")
    assert error.value.status == 404 and not error.value.transient
