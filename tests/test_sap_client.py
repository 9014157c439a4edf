"""SapCommerceClient against the sandbox's SAP stand-in (in process, over ASGI): reads through the
Integration API, comments and OCC cancellation, error classification; and SapShop, the end-to-end
tests' SAP base site, driven against the same sandbox and a stand-in ingress."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from connectors.errors import ProviderError, WebhookAuthError, WebhookPayloadError
from connectors.platform import CommercePlatformClient
from connectors.sandbox import sap_api
from connectors.sandbox.rejections import Reject, reject_handler
from connectors.sap_commerce import SapApiConfig, SapCommerceClient, parse_webhook, verify_request
from connectors.sap_commerce import simulate as sim
from domain.events import CaseKind, CommerceEvent, EventType, OrderStage, Platform
from tests.platforms.base import PlatformShop
from tests.platforms.sap import SUPPORTED, SapShop

ROOT = "http://sap.test"
SITE = "electronics"
WEBHOOK_USER, WEBHOOK_PASSWORD = "sapwebhooks", "webhook-secret"


@dataclass
class Ingress:
    """Stands in for the real ingress: verify, parse, remember the events, answer like it."""

    events: list[CommerceEvent] = field(default_factory=list)

    async def receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verify_request(request.headers, user=WEBHOOK_USER, password=WEBHOOK_PASSWORD, bearer_token=None)
        except WebhookAuthError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        try:
            parsed = parse_webhook(body, request.query_params, request.headers)
        except WebhookPayloadError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        self.events.extend(parsed.events)
        return JSONResponse({"status": "accepted"}, status_code=202)


@dataclass
class Sap:
    http: httpx.AsyncClient
    client: SapCommerceClient
    ingress: Ingress
    requests: list[httpx.Request]

    async def put(self, path: str, body: dict[str, Any], site: str = SITE) -> None:
        response = await self.http.put(f"/sandbox/sap/{site}/{path}", json=body)
        assert response.status_code == 200, response.text

    async def view(self, code: str, site: str = SITE) -> dict[str, Any]:
        response = await self.http.get(f"/sandbox/sap/{site}/orders/{code}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def faults(self, *faults: dict[str, Any]) -> None:
        response = await self.http.put("/sandbox/sap/faults", json=list(faults))
        assert response.status_code == 200, response.text


def config(site: str, *, occ: bool = True, password: str = "integration-secret") -> SapApiConfig:
    if site == "unconfigured":
        raise LookupError(f"no SAP Commerce configured for base site {site}")
    return SapApiConfig(
        base_url=ROOT,
        user="tidingsintegration",
        password=SecretStr(password),
        occ_client_id="tidings" if occ else None,
        occ_client_secret=SecretStr("occ-secret") if occ else None,
        cart_url="https://shop.example/{site}/cart?code={cart}",
    )


@pytest.fixture
async def sap() -> AsyncIterator[Sap]:
    app = FastAPI()
    app.add_exception_handler(Reject, reject_handler)
    app.include_router(sap_api.router)
    ingress = Ingress()
    app.add_api_route(sim.WEBHOOK_PATH, ingress.receive, methods=["POST"])
    requests: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=ROOT, event_hooks={"request": [record]}
    ) as http:
        yield Sap(http, SapCommerceClient(http, config), ingress, requests)


def test_the_client_is_a_commerce_platform_client(sap: Sap) -> None:
    client: CommercePlatformClient = sap.client
    assert client.platform is Platform.SAP_COMMERCE


# ---- orders ----------------------------------------------------------------------------------------


async def test_order_snapshot_reads_the_order_with_its_consignments(sap: Sap) -> None:
    doc = sim.order_document(
        SITE,
        "00001001",
        status="ORDER_SPLIT",
        total="249.00",
        currency="EUR",
        language="de",
        entries=[
            sim.entry(0, "MUG-1", "Mug", quantity=2, base_price="29.95"),
            sim.entry(1, "TEA-9", "Green tea"),
        ],
        consignments=[
            sim.consignment("a1", "SHIPPED", tracking_id="1Z999AA1", carrier="UPS"),
            sim.consignment("a2", "PICKPACK"),
            sim.consignment("a3", "CANCELLED", tracking_id="VOID"),
        ],
    )
    await sap.put("orders/00001001", doc)
    snap = await sap.client.fetch_order_snapshot(SITE, "00001001")
    assert (snap.platform, snap.store, snap.order_id) == (Platform.SAP_COMMERCE, SITE, "00001001")
    assert snap.stage is OrderStage.PARTIALLY_SHIPPED
    assert snap.platform_status == "ORDER_SPLIT"
    assert (snap.total, snap.currency) == (Decimal("249.00"), "EUR")
    assert snap.created_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert snap.customer.customer_id == "7" and snap.customer.email == "ada@example.com"
    assert snap.customer.phone == "+14155550101" and snap.customer.locale == "de"
    assert [(line.sku, line.name, line.quantity, line.price) for line in snap.lines] == [
        ("MUG-1", "Mug", 2, Decimal("29.95")),
        ("TEA-9", "Green tea", 1, Decimal("29.95")),
    ]
    # The shipped consignment is a shipment; the cancelled one is not.
    assert [(s.shipment_id, s.carrier, s.tracking_number) for s in snap.shipments] == [
        ("a1", "UPS", "1Z999AA1")
    ]
    assert snap.shipping_city == "Austin"


async def test_an_order_of_another_site_or_none_is_not_found(sap: Sap) -> None:
    await sap.put("orders/00001002", sim.order_document(SITE, "00001002"))
    for site, code in (("apparel-uk", "00001002"), (SITE, "00009999")):
        with pytest.raises(ProviderError) as caught:
            await sap.client.fetch_order_snapshot(site, code)
        assert (caught.value.kind, caught.value.transient, caught.value.status) == ("not_found", False, 404)


async def test_an_order_in_a_status_the_tables_do_not_know_is_a_permanent_error(sap: Sap) -> None:
    await sap.put("orders/00001003", sim.order_document(SITE, "00001003", status="AWAITING_GIFT_WRAP"))
    with pytest.raises(ProviderError, match="unknown SAP OrderStatus 'AWAITING_GIFT_WRAP'") as caught:
        await sap.client.fetch_order_snapshot(SITE, "00001003")
    assert caught.value.transient is False


# ---- carts, products, stock -------------------------------------------------------------------------


async def test_cart_snapshot_and_its_disappearance(sap: Sap) -> None:
    await sap.put(
        "carts/00009001", sim.cart_document(SITE, "00009001", amount="129.00", abandoned_at=datetime.now(UTC))
    )
    snap = await sap.client.fetch_cart_snapshot(SITE, "00009001")
    assert snap.cart_id == "00009001" and snap.total == Decimal("129.00") and snap.currency == "USD"
    assert snap.customer.customer_id == "7" and snap.customer.email == "ada@example.com"
    assert [(line.sku, line.name, line.price) for line in snap.lines] == [
        ("TS-1", "Trail Shoes", Decimal("129.00"))
    ]
    assert snap.checkout_url == "https://shop.example/electronics/cart?code=00009001"
    assert snap.updated_at is not None

    assert (await sap.http.delete(f"/sandbox/sap/{SITE}/carts/00009001")).json() == {"deleted": 1}
    with pytest.raises(ProviderError) as caught:
        await sap.client.fetch_cart_snapshot(SITE, "00009001")
    assert caught.value.kind == "not_found" and not caught.value.transient


async def test_products_in_the_order_asked_from_the_online_catalog(sap: Sap) -> None:
    await sap.put(
        "products/MUG-1",
        sim.product_document(
            "MUG-1", "Mug", categories=[("kitchen", "Kitchen")], image_url="https://cdn.example/mug.jpg"
        ),
    )
    await sap.put(
        "products/TEA-9",
        sim.product_document(
            "TEA-9", "Green tea", categories=[("tea", "Tea"), ("food", "Food")], replenish_days=30
        ),
    )
    await sap.put("products/NEW-1", sim.product_document("NEW-1", "Not yet online", version="Staged"))
    products = await sap.client.fetch_products(SITE, ["TEA-9", "MUG-1", "NEW-1", "GONE-1", "TEA-9"])
    assert [(p.product_id, p.name, p.categories, p.replenish_days) for p in products] == [
        ("TEA-9", "Green tea", ["Tea", "Food"], 30),
        ("MUG-1", "Mug", ["Kitchen"], None),
    ]
    assert products[1].image_url == "https://cdn.example/mug.jpg"
    assert await sap.client.fetch_products(SITE, []) == []

    def in_catalog(catalog: str) -> SapCommerceClient:
        return SapCommerceClient(
            sap.http, lambda site: config(site).model_copy(update={"product_catalog": catalog})
        )

    # A site that shows another product catalog sees none of these.
    assert [
        p.product_id for p in await in_catalog("{site}ProductCatalog").fetch_products(SITE, ["MUG-1"])
    ] == []
    assert [
        p.product_id for p in await in_catalog("tidingsProductCatalog").fetch_products(SITE, ["MUG-1"])
    ] == ["MUG-1"]


async def test_stock_sums_the_warehouses(sap: Sap) -> None:
    await sap.put("stock/warehouse_s/MUG-1", {"available": 12, "reserved": 2})
    await sap.put("stock/warehouse_e/MUG-1", {"available": 3, "reserved": 5})
    assert await sap.client.fetch_stock(SITE, "MUG-1") == 10
    assert await sap.client.fetch_stock(SITE, "NOT-STOCKED") is None
    await sap.put("stock/warehouse_s/GIFT-CARD", {"available": 0, "inStockStatus": {"code": "forceInStock"}})
    assert await sap.client.fetch_stock(SITE, "GIFT-CARD") is None


async def test_purchased_since(sap: Sap) -> None:
    since = datetime(2026, 11, 1, tzinfo=UTC)
    tea = [sim.entry(0, "TEA-9", "Green tea")]
    mug = [sim.entry(0, "MUG-1", "Mug")]
    await sap.put(
        "orders/1",
        sim.order_document(SITE, "1", customer_id="7", entries=tea, placed_at=since + timedelta(days=3)),
    )
    await sap.put(
        "orders/2",
        sim.order_document(
            SITE,
            "2",
            customer_id="8",
            email="bo@example.com",
            entries=tea,
            placed_at=since - timedelta(days=1),
        ),
    )
    await sap.put(
        "orders/3",
        sim.order_document(
            SITE,
            "3",
            customer_id="9",
            email="cy@example.com",
            entries=mug,
            placed_at=since + timedelta(days=1),
        ),
    )
    await sap.put(
        "orders/4",
        sim.order_document(
            "apparel-uk",
            "4",
            customer_id="9",
            email="cy@example.com",
            entries=tea,
            placed_at=since + timedelta(days=1),
        ),
        site="apparel-uk",
    )
    assert await sap.client.purchased_since(SITE, "TEA-9", ["7", "8", "9", "10"], since) == ["7"]


# ---- writes ----------------------------------------------------------------------------------------


async def test_order_notes_are_written_once(sap: Sap) -> None:
    await sap.put("orders/00001010", sim.order_document(SITE, "00001010"))
    await sap.client.add_order_note(SITE, "00001010", "Pickup reminder sent by SMS")
    await sap.client.add_order_note(SITE, "00001010", "Pickup reminder sent by SMS")  # a retried activity
    await sap.client.add_order_note(SITE, "00001010", "Customer asked to hold the parcel")
    await sap.client.add_order_note(SITE, "00001010", "   ")  # nothing to say: nothing written
    comments = (await sap.view("00001010"))["comments"]
    assert [c["text"] for c in comments] == [
        "Pickup reminder sent by SMS",
        "Customer asked to hold the parcel",
    ]
    assert {c["io"] for c in comments} == {"TidingsOrderComment"}
    with pytest.raises(ProviderError) as caught:
        await sap.client.add_order_note(SITE, "00009999", "no such order")
    assert caught.value.kind == "not_found"


async def test_case_comments_go_on_the_return_request_else_the_order(sap: Sap) -> None:
    await sap.put("orders/00001020", sim.order_document(SITE, "00001020"))
    await sap.put(
        "returns/00005001", sim.return_request_document(SITE, "00005001", "00001020", rma="RMA-1001")
    )
    where = await sap.client.add_case_comment(SITE, "RMA-1001", "00001020", "Customer chose: refund")
    assert where == "comment on return request RMA-1001"
    where = await sap.client.add_case_comment(
        SITE, "order-00001020", "00001020", "Customer wrote: where is it?"
    )
    assert where == "comment on order 00001020"
    comments = (await sap.view("00001020"))["comments"]
    assert [(c["io"], c["return_request"], c["text"]) for c in comments] == [
        ("TidingsReturnRequestComment", "00005001", "Customer chose: refund"),
        ("TidingsOrderComment", None, "Customer wrote: where is it?"),
    ]
    with pytest.raises(ProviderError) as caught:
        await sap.client.add_case_comment(SITE, "RMA-404", None, "lost")
    assert caught.value.kind == "not_found"


async def test_cancel_and_restock_cancels_every_entry_once(sap: Sap) -> None:
    entries = [sim.entry(0, "MUG-1", "Mug", quantity=2), sim.entry(1, "TEA-9", "Green tea")]
    await sap.put(
        "orders/00001030", sim.order_document(SITE, "00001030", status="ORDER_SPLIT", entries=entries)
    )
    await sap.client.cancel_and_restock(SITE, "00001030", "Not collected within 7 days")
    await sap.client.cancel_and_restock(SITE, "00001030", "Not collected within 7 days")  # a retry
    view = await sap.view("00001030")
    assert [c["restocked"] for c in view["cancellations"]] == [
        [{"product": "MUG-1", "quantity": 2}, {"product": "TEA-9", "quantity": 1}]
    ]
    assert view["cancellations"][0]["user"] == "ada@example.com"
    assert [c["text"] for c in view["comments"]] == ["Not collected within 7 days"]
    assert (await sap.client.fetch_order_snapshot(SITE, "00001030")).stage is OrderStage.CANCELLED
    # One OCC token served both calls.
    assert sum(1 for r in sap.requests if r.url.path == "/authorizationserver/oauth/token") == 1


async def test_cancel_without_an_occ_client_writes_nothing(sap: Sap) -> None:
    await sap.put("orders/00001031", sim.order_document(SITE, "00001031"))
    client = SapCommerceClient(sap.http, lambda site: config(site, occ=False))
    with pytest.raises(ProviderError, match="no OCC client configured") as caught:
        await client.cancel_and_restock(SITE, "00001031", "Not collected")
    assert caught.value.kind == "SAPCommerceNotConfigured" and not caught.value.transient
    view = await sap.view("00001031")
    assert view["comments"] == [] and view["cancellations"] == []


# ---- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "kind", "transient"),
    [
        (503, 7, "SAPCommerceServerError", True),
        (429, 2, "SAPCommerceThrottled", True),
        (408, None, "SAPCommerceTimeout", True),
        (400, None, "SAPCommerceRejected", False),
        (403, None, "SAPCommerceForbidden", False),
    ],
)
async def test_api_errors_are_classified(
    sap: Sap, status: int, retry_after: int | None, kind: str, transient: bool
) -> None:
    await sap.put("orders/00001040", sim.order_document(SITE, "00001040"))
    fault: dict[str, Any] = {"status": status, "path_contains": "/TidingsOrder/"}
    if retry_after is not None:
        fault["retry_after"] = retry_after
    await sap.faults(fault)
    with pytest.raises(ProviderError) as caught:
        await sap.client.fetch_order_snapshot(SITE, "00001040")
    error = caught.value
    assert (error.kind, error.transient, error.status) == (kind, transient, status)
    assert error.retry_after == (float(retry_after) if retry_after is not None and transient else None)
    # The fault was one call: the next read works.
    assert (await sap.client.fetch_order_snapshot(SITE, "00001040")).order_id == "00001040"


async def test_wrong_credentials_configuration_and_network_errors(sap: Sap) -> None:
    refused = SapCommerceClient(sap.http, lambda site: config(site, password=""))
    with pytest.raises(ProviderError) as caught:
        await refused.fetch_order_snapshot(SITE, "00001001")
    assert (caught.value.status, caught.value.transient) == (401, False)

    with pytest.raises(ProviderError) as caught:
        await sap.client.fetch_order_snapshot("unconfigured", "1")
    assert caught.value.kind == "SAPCommerceNotConfigured" and not caught.value.transient

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(unreachable)) as down:
        with pytest.raises(ProviderError) as caught:
            await SapCommerceClient(down, config).fetch_stock(SITE, "MUG-1")
    assert caught.value.kind == "SAPCommerceUnreachable" and caught.value.transient


async def test_odata_errors_keep_their_message(sap: Sap) -> None:
    response = await sap.http.get(
        "/odata2webservices/TidingsOrder/Orders('nope')", headers=sim.basic_headers("u", "p")
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == {
        "lang": "en",
        "value": "Entity Orders with key [nope] was not found",
    }
    bad = await sap.http.get(
        "/odata2webservices/TidingsOrder/Orders",
        params={"$filter": "code gt '1'"},
        headers=sim.basic_headers("u", "p"),
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_query"


# ---- SapShop: the end-to-end tests' SAP base site ---------------------------------------------------


def shop_of(sap: Sap) -> SapShop:
    return SapShop(sap.http, ROOT, ROOT, WEBHOOK_USER, WEBHOOK_PASSWORD)


def test_sap_shop_is_a_platform_shop(sap: Sap) -> None:
    shop: PlatformShop = shop_of(sap)
    assert shop.platform == "sap-commerce" and shop.store != shop_of(sap).store
    assert shop.order_workflow_id("1001") == f"order:sap-commerce:{shop.store}:1001"


@pytest.mark.parametrize("stage", sorted(SUPPORTED))
@pytest.mark.parametrize("pickup", [False, True])
async def test_sap_shop_moves_orders_to_the_stage_it_claims(
    sap: Sap, stage: OrderStage, pickup: bool
) -> None:
    shop = shop_of(sap)
    assert (await shop.place_order("1001", pickup=pickup)).status_code == 202
    placed = sap.ingress.events[-1]
    assert placed.order is not None and placed.order.stage is OrderStage.PAYMENT_CONFIRMED

    assert (await shop.move("1001", stage)).status_code == 202
    told = [e for e in sap.ingress.events if e.order is not None and e.order.stage is stage]
    assert told, f"no order event at {stage}: {[e.type for e in sap.ingress.events]}"
    assert told[-1].workflow_id() == shop.order_workflow_id("1001")
    if stage is not OrderStage.REFUNDED:  # SAP has no refunded order status: the return tells it
        assert (await sap.client.fetch_order_snapshot(shop.store, "1001")).stage is stage
    if stage is OrderStage.SHIPPED and not pickup:
        shipments = (await sap.client.fetch_order_snapshot(shop.store, "1001")).shipments
        assert [s.tracking_number for s in shipments] == ["1Z1001"]


async def test_sap_shop_carts(sap: Sap) -> None:
    shop = shop_of(sap)
    assert (await shop.abandon_cart("c-1", amount="80.00")).status_code == 202
    abandoned = sap.ingress.events[-1]
    assert abandoned.type is EventType.CART_ABANDONED and abandoned.store == shop.store
    assert (await sap.client.fetch_cart_snapshot(shop.store, "c-1")).total == Decimal("80.00")
    assert (await shop.convert_cart("c-1", "1002")).status_code == 202
    converted = sap.ingress.events[-1]
    assert converted.type is EventType.CART_CONVERTED and converted.workflow_id() == abandoned.workflow_id()
    with pytest.raises(ProviderError):
        await sap.client.fetch_cart_snapshot(shop.store, "c-1")


@pytest.mark.parametrize("kind", list(CaseKind))
async def test_sap_shop_cases(sap: Sap, kind: CaseKind) -> None:
    shop = shop_of(sap)
    await shop.place_order("1003")
    assert (await shop.open_case("RMA-7", "1003", kind, "The mug arrived cracked")).status_code == 202
    opened = sap.ingress.events[-1]
    assert opened.type is EventType.CASE_OPENED and opened.case is not None
    assert (opened.case.case_id, opened.case.order_id, opened.case.detail) == (
        "RMA-7",
        "1003",
        "The mug arrived cracked",
    )
    assert opened.case.kind is (CaseKind.REFUND if kind is CaseKind.REFUND else CaseKind.RETURN_REQUEST)
    await sap.client.add_case_comment(shop.store, "RMA-7", "1003", "Customer chose: replacement")
    assert (await shop.close_case("RMA-7", "1003")).status_code == 202
    assert [e.type for e in sap.ingress.events[-1:]] == [EventType.CASE_CLOSED]
    assert await shop.write_backs("1003") == ["Customer chose: replacement"]


async def test_sap_shop_write_backs_auth_and_malformed(sap: Sap) -> None:
    shop = shop_of(sap)
    await shop.place_order("1004", pickup=True)
    assert not await shop.cancelled_in_platform("1004")
    await sap.client.add_order_note(shop.store, "1004", "Pickup reminder sent")
    await sap.client.cancel_and_restock(shop.store, "1004", "Not collected in time")
    assert await shop.cancelled_in_platform("1004")
    assert await shop.write_backs("1004") == ["Pickup reminder sent", "Not collected in time"]

    before = len(sap.ingress.events)
    bad_auth = await shop.post_with_bad_auth()
    assert bad_auth.status_code == 401 and "do not match" in bad_auth.json()["error"]
    malformed = await shop.post_malformed()
    assert malformed.status_code == 400 and malformed.json()["error"] == "code is missing"
    assert len(sap.ingress.events) == before


async def test_sap_shop_posts_what_webhookservices_posts(sap: Sap) -> None:
    shop = shop_of(sap)
    response = await shop.place_order("1005")
    request = response.request
    assert request.url.path == "/webhooks/sap-commerce" and request.url.params["io"] == "TidingsOrder"
    assert request.headers["ce-type"] == "sap.cx.commerce.TidingsOrder.Created.v1"
    assert request.headers["authorization"].startswith("Basic ")
    body = json.loads(request.content)
    assert body["code"] == "1005" and body["site"]["uid"] == shop.store and "integrationKey" in body
