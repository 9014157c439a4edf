"""BigCommerceClient as the platform-neutral `CommercePlatformClient`: stock, recent purchases, case
comments, order notes and cancellation, against a transport double that answers like BigCommerce."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from connectors.platform import CommercePlatformClient
from domain.events import Platform

API = "https://api.bigcommerce.test"
BASE = "/stores/abc123"
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> BigCommerceClient:
    return BigCommerceClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)), API, lambda s: "tok")


def test_it_is_the_platform_client_for_bigcommerce() -> None:
    client: CommercePlatformClient = client_for(lambda r: httpx.Response(500))
    assert client.platform is Platform.BIGCOMMERCE
    assert BigCommerceClient.platform is Platform.BIGCOMMERCE


# ---- stock and price ----------------------------------------------------------------------------

PRODUCT = {
    "id": 167,
    "name": "Orbit Terrarium - Large",
    "type": "physical",
    "sku": "OTL",
    "price": 109,
    "sale_price": 0,
    "calculated_price": 109,
    "inventory_level": 7,
    "inventory_warning_level": 2,
    "inventory_tracking": "product",
}


def product_store(product: dict[str, Any] | None, seen: list[httpx.Request] | None = None) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if product is None or request.url.path != f"{BASE}/v3/catalog/products/{product['id']}":
            body = {"status": 404, "title": "The product was not found.", "type": "https://x", "errors": {}}
            return httpx.Response(404, json=body)
        return httpx.Response(200, json={"data": product, "meta": {}})

    return handle


@pytest.mark.parametrize(("tracking", "level", "expected"), [("product", 7, 7), ("variant", 0, 0)])
async def test_stock_is_the_inventory_level_when_tracked(tracking: str, level: int, expected: int) -> None:
    seen: list[httpx.Request] = []
    product = {**PRODUCT, "inventory_tracking": tracking, "inventory_level": level}
    assert await client_for(product_store(product, seen)).fetch_stock("abc123", "167") == expected
    [request] = seen
    assert (request.method, request.url.path) == ("GET", f"{BASE}/v3/catalog/products/167")
    assert request.headers["X-Auth-Token"] == "tok"


async def test_untracked_stock_is_none() -> None:
    product = {**PRODUCT, "inventory_tracking": "none", "inventory_level": 0}
    assert await client_for(product_store(product)).fetch_stock("abc123", "167") is None


@pytest.mark.parametrize("tracking", ["product", "none"])
async def test_a_disabled_product_sells_nothing_whatever_its_stock(tracking: str) -> None:
    product = {**PRODUCT, "inventory_tracking": tracking, "inventory_level": 40, "availability": "disabled"}
    assert await client_for(product_store(product)).fetch_stock("abc123", "167") == 0
    preorder = {**product, "availability": "preorder", "inventory_tracking": "product"}
    assert await client_for(product_store(preorder)).fetch_stock("abc123", "167") == 40


async def test_an_unknown_product_is_not_found() -> None:
    with pytest.raises(ProviderError) as caught:
        await client_for(product_store(None)).fetch_stock("abc123", "404")
    assert (caught.value.kind, caught.value.transient, caught.value.status) == ("not_found", False, 404)


async def test_a_server_error_on_stock_stays_transient() -> None:
    client = client_for(lambda request: httpx.Response(503, text="maintenance"))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_stock("abc123", "167")
    assert caught.value.transient is True and caught.value.kind == "BigCommerceServerError"


async def test_a_product_without_data_is_an_invalid_response() -> None:
    client = client_for(lambda request: httpx.Response(200, json={"id": 167}))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_stock("abc123", "167")
    assert caught.value.kind == "BigCommerceInvalidResponse"


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        ({"price": 109, "sale_price": 89, "calculated_price": 89}, "89"),
        ({"price": 109, "sale_price": 89}, "89"),  # no calculated_price: the sale price wins
        ({"price": 109, "sale_price": 0}, "109"),  # 0 is "no sale price"
    ],
)
async def test_price_is_what_a_shopper_pays(prices: dict[str, Any], expected: str) -> None:
    product = {key: value for key, value in PRODUCT.items() if key != "calculated_price"} | prices
    assert await client_for(product_store(product)).fetch_price("abc123", "167") == Decimal(expected)


# ---- purchased_since ----------------------------------------------------------------------------


def order(order_id: int, customer_id: int, status_id: int = 11) -> dict[str, Any]:
    return {
        "id": order_id,
        "customer_id": customer_id,
        "status_id": status_id,
        "date_created": "Mon, 23 Nov 2026 09:00:00 +0000",
        "total_inc_tax": "59.90",
        "currency_code": "USD",
    }


def line(product_id: int, name: str = "Orbit Terrarium") -> dict[str, Any]:
    return {"id": product_id * 10, "product_id": product_id, "name": name, "quantity": 1}


class Store:
    """Orders (paged 250 at a time, 204 when past the end) and their products."""

    def __init__(self, orders: list[dict[str, Any]], products: dict[int, list[dict[str, Any]]]) -> None:
        self.orders = orders
        self.products = products
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        params = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        page, limit = int(params["page"]), int(params["limit"])
        if request.url.path == f"{BASE}/v2/orders":
            chunk = self.orders[(page - 1) * limit : page * limit]
        else:
            order_id = int(request.url.path.split("/")[-2])
            chunk = self.products.get(order_id, [])[(page - 1) * limit : page * limit]
        return httpx.Response(200, json=chunk) if chunk else httpx.Response(204)

    def product_reads(self) -> list[str]:
        return [r.url.path.split("/")[-2] for r in self.seen if r.url.path.endswith("/products")]


SINCE = datetime(2026, 11, 20, 8, 30, 15, 999, tzinfo=UTC)


async def test_watchers_who_bought_the_product_since() -> None:
    store = Store(
        [
            order(100, 7),  # bought 167
            order(101, 8),  # bought something else
            order(102, 9, status_id=5),  # cancelled: not a purchase
            order(103, 10, status_id=0),  # incomplete checkout
            order(104, 11, status_id=6),  # declined
            order(105, 0),  # a guest
            order(106, 12),  # not a watcher
            order(107, 8, status_id=10),  # completed: 8's second order has it
        ],
        {
            100: [line(167)],
            101: [line(55, "Gift wrap")],
            102: [line(167)],
            103: [line(167)],
            104: [line(167)],
            105: [line(167)],
            106: [line(167)],
            107: [line(0, "Custom engraving"), line(167)],
        },
    )
    watchers = ["8", "7", "9", "10", "11", "13"]
    bought = await client_for(store).purchased_since("abc123", "167", watchers, SINCE)
    assert bought == ["8", "7"]  # in the order asked
    # Only watchers' real purchases are opened, and none twice.
    assert sorted(store.product_reads()) == ["100", "101", "107"]
    listing = store.seen[0]
    assert listing.url.path == f"{BASE}/v2/orders"
    assert listing.url.params["min_date_created"] == "Fri, 20 Nov 2026 08:30:15 +0000"
    assert b"min_date_created=Fri%2C%2020%20Nov%202026%2008%3A30%3A15%20%2B0000" in listing.url.raw_path
    assert (listing.url.params["limit"], listing.url.params["page"]) == ("250", "1")


async def test_a_customer_found_in_one_order_is_not_looked_up_again() -> None:
    store = Store([order(100, 7), order(101, 7), order(102, 7)], {100: [line(167)], 101: [line(167)]})
    assert await client_for(store).purchased_since("abc123", "167", ["7"], SINCE) == ["7"]
    assert store.product_reads() == ["100"]


async def test_orders_are_read_page_by_page() -> None:
    orders = [order(1000 + n, 7 if n == 260 else 8) for n in range(300)]
    store = Store(orders, {1260: [line(167)]})
    assert await client_for(store).purchased_since("abc123", "167", ["7"], SINCE) == ["7"]
    pages = [r.url.params["page"] for r in store.seen if r.url.path == f"{BASE}/v2/orders"]
    assert pages == ["1", "2"]


async def test_no_orders_since_is_an_empty_answer() -> None:
    store = Store([], {})
    assert await client_for(store).purchased_since("abc123", "167", ["7"], SINCE) == []
    assert len(store.seen) == 1


async def test_nothing_asked_reads_nothing() -> None:
    store = Store([order(100, 7)], {100: [line(167)]})
    assert await client_for(store).purchased_since("abc123", "167", [], SINCE) == []
    assert await client_for(store).purchased_since("abc123", "167", ["0", " "], SINCE) == []
    assert store.seen == []


@pytest.mark.parametrize(
    "since",
    [
        datetime(2026, 11, 20, 9, 30, 15, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 11, 20, 8, 30, 15),
    ],
)
async def test_since_is_sent_in_utc(since: datetime) -> None:
    store = Store([], {})
    await client_for(store).purchased_since("abc123", "167", ["7"], since)
    assert store.seen[0].url.params["min_date_created"] == "Fri, 20 Nov 2026 08:30:15 +0000"


async def test_a_failing_product_read_fails_the_whole_answer() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"{BASE}/v2/orders":
            return httpx.Response(200, json=[order(100, 7), order(101, 8)])
        return httpx.Response(429, headers={"Retry-After": "3"}, text="slow down")

    with pytest.raises(ProviderError) as caught:
        await client_for(handle).purchased_since("abc123", "167", ["7", "8"], SINCE)
    assert caught.value.transient is True and caught.value.retry_after == 3.0


async def test_an_unreadable_order_listing_is_an_invalid_response() -> None:
    client = client_for(lambda request: httpx.Response(200, json=[{"id": 100}]))
    with pytest.raises(ProviderError) as caught:
        await client.purchased_since("abc123", "167", ["7"], SINCE)
    assert caught.value.kind == "BigCommerceInvalidResponse"


# ---- writes -------------------------------------------------------------------------------------


class Order:
    """One V2 order that remembers its staff notes and status like the store does."""

    def __init__(self, staff_notes: str = "", status_id: int = 8) -> None:
        self.body: dict[str, Any] = {**order(12, 7, status_id), "staff_notes": staff_notes}
        self.writes: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"{BASE}/v2/orders/12"
        if request.method == "PUT":
            change = json.loads(request.content)
            self.writes.append(change)
            self.body.update(change)
        return httpx.Response(200, json=self.body)


async def test_a_case_comment_is_a_staff_note_on_the_cases_order() -> None:
    store = Order("Packed by Sam")
    client = client_for(store)
    where = await client.add_case_comment("abc123", "order-12", "12", 'customer replied by sms: "2"')
    assert where == "staff note on order 12"
    again = await client.add_case_comment("abc123", "order-12", "12", 'customer replied by sms: "2"')
    assert again == where
    assert store.body["staff_notes"] == 'Packed by Sam\nTidings case order-12: customer replied by sms: "2"'
    assert len(store.writes) == 1  # the retry found its note already there


async def test_a_case_comment_without_an_order_goes_nowhere() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected call {request.method} {request.url}")

    assert await client_for(refuse).add_case_comment("abc123", "c-1", None, "hello") == "no order to note on"


async def test_an_order_note_is_appended() -> None:
    store = Order("Gift: no invoice")
    await client_for(store).add_order_note("abc123", "12", "Pickup reminder sent by SMS")
    assert store.writes == [{"staff_notes": "Gift: no invoice\nPickup reminder sent by SMS"}]


async def test_cancel_and_restock_cancels_with_the_reason() -> None:
    store = Order("Packed by Sam")
    client = client_for(store)
    await client.cancel_and_restock("abc123", "12", "Not collected within 7 days: cancelled by Tidings")
    await client.cancel_and_restock("abc123", "12", "Not collected within 7 days: cancelled by Tidings")
    assert store.body["status_id"] == 5
    assert store.body["staff_notes"] == "Packed by Sam\nNot collected within 7 days: cancelled by Tidings"
    assert store.writes[1] == {"status_id": 5}  # the retry: the status again, the note not twice
