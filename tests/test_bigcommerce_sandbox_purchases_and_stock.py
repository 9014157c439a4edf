"""The sandbox's BigCommerce order listing and catalog stock and price, read through the real
`BigCommerceClient` (over ASGI, in process) and changed the way a merchant's tool would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from connectors.sandbox import create_app

ROOT = "http://sandbox.test"
STORE = "abc123"
BC = {"X-Auth-Token": "any-token"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url=ROOT) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient) -> BigCommerceClient:
    return BigCommerceClient(http, ROOT, lambda store: "any-token")


async def seed_order(
    http: httpx.AsyncClient,
    order_id: int,
    customer_id: int,
    created: str,
    product_ids: list[int],
    status_id: int = 11,
    store: str = STORE,
) -> None:
    body = {
        "customer_id": customer_id,
        "status_id": status_id,
        "date_created": created,
        "total_inc_tax": "59.90",
        "currency_code": "USD",
        "products": [{"product_id": p, "name": f"Product {p}", "quantity": 1} for p in product_ids],
    }
    response = await http.put(f"/sandbox/bigcommerce/{store}/orders/{order_id}", json=body)
    assert response.status_code == 200, response.text


async def seed_product(http: httpx.AsyncClient, product_id: int, **fields: Any) -> httpx.Response:
    return await http.put(
        f"/sandbox/bigcommerce/{STORE}/products/{product_id}", json={"name": "Trail Shoes", **fields}
    )


# ---- orders -------------------------------------------------------------------------------------


async def test_purchases_since_through_the_client(http: httpx.AsyncClient, client: BigCommerceClient) -> None:
    await seed_order(http, 100, 7, "Sun, 22 Nov 2026 10:00:00 +0000", [167])
    await seed_order(http, 101, 8, "Sun, 22 Nov 2026 11:00:00 +0000", [55])
    await seed_order(http, 102, 9, "Thu, 19 Nov 2026 10:00:00 +0000", [167])  # before the watch
    await seed_order(http, 103, 10, "Sun, 22 Nov 2026 12:00:00 +0000", [167], status_id=5)  # cancelled
    await seed_order(http, 104, 11, "Sun, 22 Nov 2026 12:00:00 +0000", [167], store="other")
    since = datetime(2026, 11, 20, tzinfo=UTC)
    bought = await client.purchased_since(STORE, "167", ["7", "8", "9", "10", "11"], since)
    assert bought == ["7"]
    assert await client.purchased_since(STORE, "55", ["7", "8"], since) == ["8"]


async def test_the_listing_filters_pages_and_answers_204_when_empty(http: httpx.AsyncClient) -> None:
    for n in range(5):
        await seed_order(http, 200 + n, 7 + n % 2, f"Mon, 23 Nov 2026 0{n}:00:00 +0000", [167])
    path = f"/stores/{STORE}/v2/orders"

    since: dict[str, str | int] = {"min_date_created": "2026-11-23T02:00:00+00:00", "limit": 2}
    first = await http.get(path, params={**since, "page": 1}, headers=BC)
    second = await http.get(path, params={**since, "page": 2}, headers=BC)
    past = await http.get(path, params={**since, "page": 3}, headers=BC)
    assert [o["id"] for o in first.json()] == [202, 203]
    assert [o["id"] for o in second.json()] == [204]
    assert (past.status_code, past.content) == (204, b"")
    # Listed orders look like single ones: sub-resources linked, not embedded.
    assert first.json()[0]["products"]["resource"] == "/orders/202/products"

    rfc = await http.get(path, params={"min_date_created": "Mon, 23 Nov 2026 03:00:00 +0000"}, headers=BC)
    assert [o["id"] for o in rfc.json()] == [203, 204]
    mine = await http.get(path, params={"customer_id": 8}, headers=BC)
    assert [o["id"] for o in mine.json()] == [201, 203]
    later = await http.get(path, params={"min_date_created": "Tue, 24 Nov 2026 00:00:00 +0000"}, headers=BC)
    assert later.status_code == 204


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_date_created": "last tuesday"}, "The field 'min_date_created' is invalid."),
        ({"limit": 251}, "The field 'limit' or 'page' is invalid."),
        ({"page": 0}, "The field 'limit' or 'page' is invalid."),
    ],
)
async def test_bad_listing_queries_get_v2_errors(
    http: httpx.AsyncClient, params: dict[str, Any], message: str
) -> None:
    response = await http.get(f"/stores/{STORE}/v2/orders", params=params, headers=BC)
    assert response.status_code == 400
    assert response.json() == [{"status": 400, "message": message}]


async def test_the_listing_needs_a_token(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/stores/{STORE}/v2/orders")
    assert response.status_code == 401


# ---- stock and price ----------------------------------------------------------------------------


async def test_a_new_product_is_untracked_and_priced_as_seeded(
    http: httpx.AsyncClient, client: BigCommerceClient
) -> None:
    seeded = (await seed_product(http, 167, price=120)).json()
    assert (seeded["inventory_tracking"], seeded["inventory_level"]) == ("none", 0)
    assert (seeded["sale_price"], seeded["calculated_price"]) == (0, 120)
    assert await client.fetch_stock(STORE, "167") is None
    assert await client.fetch_price(STORE, "167") == Decimal(120)


async def test_the_merchant_changes_stock_and_price_through_the_api(
    http: httpx.AsyncClient, client: BigCommerceClient
) -> None:
    await seed_product(http, 167, price=120, inventory_tracking="product", inventory_level=0)
    assert await client.fetch_stock(STORE, "167") == 0

    path = f"/stores/{STORE}/v3/catalog/products/167"
    restocked = await http.put(path, json={"inventory_level": 25, "sale_price": 99.5}, headers=BC)
    assert restocked.status_code == 200
    data = restocked.json()["data"]
    assert (data["inventory_level"], data["price"], data["sale_price"], data["calculated_price"]) == (
        25,
        120,
        99.5,
        99.5,
    )
    assert await client.fetch_stock(STORE, "167") == 25
    assert await client.fetch_price(STORE, "167") == Decimal("99.5")

    read = (await http.get(path, headers=BC)).json()
    assert read["meta"] == {} and read["data"]["id"] == 167
    assert "custom_fields" not in read["data"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inventory_level": -1}, "inventory_level must be a whole number of at least 0"),
        ({"inventory_level": "5"}, "inventory_level must be a whole number of at least 0"),
        ({"inventory_tracking": "sku"}, "inventory_tracking must be one of none, product, variant"),
        ({"price": "cheap"}, "price must be a number"),
        ({"sale_price": -2}, "sale_price must not be negative"),
    ],
)
async def test_invalid_stock_or_price_changes_are_refused_whole(
    http: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    await seed_product(http, 167, price=120, inventory_tracking="product", inventory_level=3)
    path = f"/stores/{STORE}/v3/catalog/products/167"
    response = await http.put(path, json={"name": "Renamed", **change}, headers=BC)
    assert response.status_code == 422
    assert (response.json()["status"], response.json()["title"]) == (422, message)
    product = (await http.get(path, headers=BC)).json()["data"]
    assert (product["name"], product["inventory_level"], product["price"]) == ("Trail Shoes", 3, 120)

    seeded = await seed_product(http, 168, **change)
    assert seeded.status_code == 400
    assert seeded.json() == [{"status": 400, "message": message}]


async def test_unknown_products(http: httpx.AsyncClient, client: BigCommerceClient) -> None:
    path = f"/stores/{STORE}/v3/catalog/products/404"
    for response in (await http.get(path, headers=BC), await http.put(path, json={}, headers=BC)):
        assert response.status_code == 404
        assert response.json()["title"] == "The product was not found."
    with pytest.raises(ProviderError) as caught:
        await client.fetch_stock(STORE, "404")
    assert caught.value.kind == "not_found"
    assert (await http.get(path)).status_code == 401
