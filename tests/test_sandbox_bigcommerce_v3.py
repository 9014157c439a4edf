"""The sandbox's BigCommerce carts, catalog and order writes, driven through the real
`BigCommerceClient` (over ASGI, in process) and plain HTTP calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from connectors.sandbox import create_app
from domain.events import OrderStage

ROOT = "http://sandbox.test"
STORE = "abc123"
BC = {"X-Auth-Token": "any-token"}
CART_ID = "09346904-4175-44fd-be53-f7e598531b6c"
CHECKOUT = f"https://{STORE}.example/cart.php?action=loadInCheckout&id={CART_ID}"


@dataclass
class Sandbox:
    http: httpx.AsyncClient
    client: BigCommerceClient


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url=ROOT) as http:
        yield Sandbox(http, BigCommerceClient(http, ROOT, lambda store: "any-token"))


async def put(sandbox: Sandbox, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await sandbox.http.put(f"/sandbox/bigcommerce/{STORE}/{path}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


CART: dict[str, Any] = {
    "customer_id": 9,
    "email": "typed@example.com",
    "currency": {"code": "EUR"},
    "line_items": {
        "physical_items": [
            {
                "product_id": 77,
                "name": "Linen shirt",
                "sku": "LS-1",
                "quantity": 2,
                "list_price": 45,
                "sale_price": 39.9,
                "image_url": "https://cdn.example/ls-1.jpg",
                "url": "https://abc123.example/linen-shirt/",
                "options": [{"name": "Size", "value": "M"}],
            }
        ],
        "digital_items": [{"product_id": 90, "name": "Care guide", "list_price": 5}],
    },
}


# ---- carts --------------------------------------------------------------------------------------


async def test_cart_snapshot_of_a_registered_customer(sandbox: Sandbox) -> None:
    await put(sandbox, "customers/9", {"first_name": "Bo", "last_name": "Berg", "email": "bo@example.com"})
    seeded = await put(sandbox, f"carts/{CART_ID}", CART)
    assert seeded["id"] == CART_ID
    assert seeded["cart_amount"] == pytest.approx(84.8)  # 2 x 39.9 + 5
    assert seeded["redirect_urls"]["cart_url"] == f"https://{STORE}.example/cart.php?action=load&id={CART_ID}"

    snapshot = await sandbox.client.fetch_cart_snapshot(STORE, CART_ID)
    assert (snapshot.cart_id, snapshot.currency, snapshot.total) == (CART_ID, "EUR", Decimal("84.8"))
    assert snapshot.checkout_url == CHECKOUT
    assert snapshot.updated_at is not None
    customer = snapshot.customer
    assert (customer.customer_id, customer.name, customer.email) == ("9", "Bo Berg", "bo@example.com")
    assert [(line.product_id, line.name, line.quantity, line.price) for line in snapshot.lines] == [
        ("77", "Linen shirt", 2, Decimal("39.9")),
        ("90", "Care guide", 1, Decimal("5")),
    ]


async def test_guest_cart_without_redirect_urls_gets_them_created(sandbox: Sandbox) -> None:
    await put(sandbox, f"carts/{CART_ID}", {**CART, "customer_id": 0, "redirect_urls": None})
    path = f"/stores/{STORE}/v3/carts/{CART_ID}"
    before = (await sandbox.http.get(path, params={"include": "redirect_urls"}, headers=BC)).json()
    assert "redirect_urls" not in before["data"]

    snapshot = await sandbox.client.fetch_cart_snapshot(STORE, CART_ID)
    assert snapshot.checkout_url == CHECKOUT
    assert (snapshot.customer.customer_id, snapshot.customer.email) == (None, "typed@example.com")

    after = (await sandbox.http.get(path, params={"include": "redirect_urls"}, headers=BC)).json()
    assert after["data"]["redirect_urls"]["checkout_url"] == CHECKOUT


async def test_cart_read_shows_includes_only_when_asked(sandbox: Sandbox) -> None:
    await put(sandbox, f"carts/{CART_ID}", CART)
    path = f"/stores/{STORE}/v3/carts/{CART_ID}"
    plain = (await sandbox.http.get(path, headers=BC)).json()
    assert plain["meta"] == {}
    assert "redirect_urls" not in plain["data"]
    assert "options" not in plain["data"]["line_items"]["physical_items"][0]
    full = await sandbox.http.get(
        path, params={"include": "redirect_urls,line_items.physical_items.options"}, headers=BC
    )
    item = full.json()["data"]["line_items"]["physical_items"][0]
    assert item["options"] == [{"name": "Size", "value": "M"}]
    assert (item["sale_price"], item["extended_sale_price"]) == (39.9, 79.8)


async def test_deleted_cart_is_not_found(sandbox: Sandbox) -> None:
    await put(sandbox, f"carts/{CART_ID}", CART)
    deleted = await sandbox.http.delete(f"/sandbox/bigcommerce/{STORE}/carts/{CART_ID}")
    assert deleted.json() == {"deleted": 1}
    again = await sandbox.http.delete(f"/sandbox/bigcommerce/{STORE}/carts/{CART_ID}")
    assert again.json() == {"deleted": 0}

    response = await sandbox.http.get(f"/stores/{STORE}/v3/carts/{CART_ID}", headers=BC)
    assert response.status_code == 404
    body = response.json()
    assert (body["status"], body["title"]) == (404, "Cart not found")
    assert body["type"].startswith("https://")
    posted = await sandbox.http.post(f"/stores/{STORE}/v3/carts/{CART_ID}/redirect_urls", headers=BC)
    assert posted.status_code == 404

    with pytest.raises(ProviderError) as caught:
        await sandbox.client.fetch_cart_snapshot(STORE, CART_ID)
    assert (caught.value.kind, caught.value.transient) == ("BigCommerceNotFound", False)


async def test_v3_reads_need_a_token(sandbox: Sandbox) -> None:
    await put(sandbox, f"carts/{CART_ID}", CART)
    for method, path in [
        ("GET", f"/stores/{STORE}/v3/carts/{CART_ID}"),
        ("POST", f"/stores/{STORE}/v3/carts/{CART_ID}/redirect_urls"),
        ("GET", f"/stores/{STORE}/v3/catalog/products"),
        ("GET", f"/stores/{STORE}/v3/catalog/categories"),
    ]:
        response = await sandbox.http.request(method, path, headers={"X-Auth-Token": " "})
        assert response.status_code == 401, path
        assert response.json()["status"] == 401


async def test_bad_cart_seeds_are_refused(sandbox: Sandbox) -> None:
    bodies: list[dict[str, Any]] = [{"line_items": []}, {"line_items": {"physical_items": [1]}}]
    for body in bodies:
        response = await sandbox.http.put(f"/sandbox/bigcommerce/{STORE}/carts/{CART_ID}", json=body)
        assert response.status_code == 400
    assert (await sandbox.http.get(f"/stores/{STORE}/v3/carts/{CART_ID}", headers=BC)).status_code == 404


# ---- catalog ------------------------------------------------------------------------------------


async def seed_catalog(sandbox: Sandbox) -> None:
    await put(sandbox, "categories/18", {"name": "Shirts"})
    await put(sandbox, "categories/23", {"name": "Linen"})
    await put(
        sandbox,
        "products/77",
        {
            "name": "Linen shirt",
            "sku": "LS-1",
            "categories": [18, 23],
            "images": [
                {"url_standard": "https://cdn.example/ls-1-back.jpg", "is_thumbnail": False},
                {"url_standard": "https://cdn.example/ls-1.jpg", "is_thumbnail": True},
            ],
        },
    )
    await put(
        sandbox,
        "products/90",
        {
            "name": "Linen wash",
            "categories": [23],
            "custom_fields": [{"name": "replenish_days", "value": "45"}],
        },
    )


async def test_products_through_the_client(sandbox: Sandbox) -> None:
    await seed_catalog(sandbox)
    infos = await sandbox.client.fetch_products(STORE, ["90", "77", "404"])
    assert [info.model_dump() for info in infos] == [
        {
            "product_id": "90",
            "name": "Linen wash",
            "sku": None,
            "categories": ["Linen"],
            "url": "/linen-wash/",
            "image_url": None,
            "replenish_days": 45,
            "brand": None,
        },
        {
            "product_id": "77",
            "name": "Linen shirt",
            "sku": "LS-1",
            "categories": ["Shirts", "Linen"],
            "url": "/linen-shirt/",
            "image_url": "https://cdn.example/ls-1.jpg",
            "replenish_days": None,
            "brand": None,
        },
    ]


async def test_catalog_reads_filter_include_and_page(sandbox: Sandbox) -> None:
    await seed_catalog(sandbox)
    plain = (await sandbox.http.get(f"/stores/{STORE}/v3/catalog/products", headers=BC)).json()
    assert [p["id"] for p in plain["data"]] == [77, 90]
    assert all("custom_fields" not in p and "primary_image" not in p for p in plain["data"])
    assert plain["meta"]["pagination"]["total"] == 2

    included = await sandbox.http.get(
        f"/stores/{STORE}/v3/catalog/products",
        params={"id:in": "90", "include": "custom_fields,primary_image"},
        headers=BC,
    )
    [wash] = included.json()["data"]
    assert wash["custom_fields"] == [{"name": "replenish_days", "value": "45", "id": 1}]

    paged = await sandbox.http.get(
        f"/stores/{STORE}/v3/catalog/categories", params={"limit": 1, "page": 2}, headers=BC
    )
    assert [c["name"] for c in paged.json()["data"]] == ["Linen"]
    assert paged.json()["meta"]["pagination"]["total_pages"] == 2
    other_store = await sandbox.http.get("/stores/other/v3/catalog/products", headers=BC)
    assert other_store.json()["data"] == []


async def test_catalog_seeds_need_a_name(sandbox: Sandbox) -> None:
    for path in ("products/1", "categories/1"):
        response = await sandbox.http.put(f"/sandbox/bigcommerce/{STORE}/{path}", json={"sku": "x"})
        assert response.status_code == 400


# ---- order writes -------------------------------------------------------------------------------

ORDER: dict[str, Any] = {
    "customer_id": 9,
    "status_id": 11,
    "total_inc_tax": "84.80",
    "currency_code": "EUR",
    "staff_notes": "Packed by Sam",
    "billing_address": {"first_name": "Bo", "email": "bo@example.com"},
    "products": [{"id": 1, "product_id": 77, "name": "Linen shirt", "quantity": 2}],
}


async def test_cancel_write_sets_the_status_and_appends_the_note(sandbox: Sandbox) -> None:
    await put(sandbox, "orders/1042", ORDER)
    await sandbox.client.update_order_status(STORE, "1042", 5, "Cancelled: customer asked by SMS")
    # A retried activity: the same note is not appended twice.
    await sandbox.client.update_order_status(STORE, "1042", 5, "Cancelled: customer asked by SMS")
    await sandbox.client.update_staff_notes(STORE, "1042", "Refund due")

    order = (await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042", headers=BC)).json()
    assert (order["status_id"], order["status"]) == (5, "Cancelled")
    assert order["staff_notes"] == "Packed by Sam\nCancelled: customer asked by SMS\nRefund due"

    writes = (await sandbox.http.get("/sandbox/bigcommerce/writes")).json()
    assert [w["body"] for w in writes] == [
        {"status_id": 5, "staff_notes": "Packed by Sam\nCancelled: customer asked by SMS"},
        {"status_id": 5},
        {"staff_notes": "Packed by Sam\nCancelled: customer asked by SMS\nRefund due"},
    ]

    snapshot = await sandbox.client.fetch_order_snapshot(STORE, "1042")
    assert (snapshot.stage, snapshot.platform_status) == (OrderStage.CANCELLED, "Cancelled")
    assert [line.product_id for line in snapshot.lines] == ["77"]


async def test_unknown_status_id_is_refused_by_the_store(sandbox: Sandbox) -> None:
    await put(sandbox, "orders/1042", ORDER)
    response = await sandbox.http.put(
        f"/stores/{STORE}/v2/orders/1042", json={"status_id": 99, "staff_notes": "x"}, headers=BC
    )
    assert response.status_code == 400
    assert response.json() == [{"status": 400, "message": "The field 'status_id' is invalid."}]
    order = (await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042", headers=BC)).json()
    assert (order["status_id"], order["staff_notes"]) == (11, "Packed by Sam")
    assert (await sandbox.http.get("/sandbox/bigcommerce/writes")).json() == []


async def test_status_write_on_an_unknown_order(sandbox: Sandbox) -> None:
    with pytest.raises(ProviderError) as caught:
        await sandbox.client.update_order_status(STORE, "9999", 5, "Cancelled")
    assert caught.value.kind == "BigCommerceNotFound"
