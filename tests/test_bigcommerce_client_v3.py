"""BigCommerceClient's cart, catalog and order-status calls against a transport double (V3 shapes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from domain.events import Platform

API = "https://api.bigcommerce.test"
BASE = "/stores/abc123"
CART_ID = "09346904-4175-44fd-be53-f7e598531b6c"
CART_PATH = f"{BASE}/v3/carts/{CART_ID}"

CART: dict[str, Any] = {
    "id": CART_ID,
    "customer_id": 11,
    "channel_id": 1,
    "email": "cart-email@example.com",
    "currency": {"code": "EUR"},
    "tax_included": False,
    "base_amount": 129.5,
    "discount_amount": 0,
    "cart_amount": 119.5,
    "locale": "pt",
    "created_time": "2024-03-05T09:00:00+00:00",
    "updated_time": "2024-03-05T10:15:00+00:00",
    "line_items": {
        "physical_items": [
            {
                "id": "aa1",
                "parent_id": None,
                "variant_id": 345,
                "product_id": 77,
                "sku": "OTL",
                "name": "Orbit Terrarium - Large",
                "url": "https://shop.example/orbit-terrarium-large/",
                "quantity": 1,
                "is_taxable": True,
                "image_url": "https://cdn.example/otl.jpg",
                "list_price": 109,
                "sale_price": 99.5,
                "extended_sale_price": 99.5,
                "options": [{"name": "Size", "value": "Large"}],
            },
            {
                "id": "aa2",
                "parent_id": "aa1",  # a bundle's child: its parent stands for it
                "product_id": 78,
                "name": "Terrarium moss",
                "quantity": 1,
                "list_price": 0,
            },
        ],
        "digital_items": [
            {
                "id": "dd1",
                "product_id": 90,
                "sku": "",
                "name": "Care guide (PDF)",
                "url": "https://shop.example/care-guide/",
                "quantity": 2,
                "list_price": 10,
                "image_url": "",
            }
        ],
        "gift_certificates": [],
        "custom_items": [],
    },
    "redirect_urls": {
        "cart_url": "https://shop.example/cart.php?action=load&id=x",
        "checkout_url": "https://shop.example/cart.php?action=loadInCheckout&id=x",
        "embedded_checkout_url": "https://shop.example/cart.php?embedded=1&action=loadInCheckout&id=x",
    },
}
CUSTOMER = {
    "id": 11,
    "first_name": "Ana",
    "last_name": "Lima",
    "email": "ana@example.com",
    "phone": "+351912345678",
}
NEW_URLS = {
    "cart_url": "https://shop.example/cart.php?action=load&id=new",
    "checkout_url": "https://shop.example/cart.php?action=loadInCheckout&id=new",
    "embedded_checkout_url": "https://shop.example/cart.php?embedded=1&action=loadInCheckout&id=new",
}

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> BigCommerceClient:
    return BigCommerceClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)), API, lambda _: "tok")


def store(
    cart: dict[str, Any] | None = CART, customers: list[dict[str, Any]] | None = None
) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == CART_PATH and request.method == "GET":
            if cart is None:
                # BigCommerce's V3 error object.
                return httpx.Response(404, json={"status": 404, "title": "Cart not found", "type": "x"})
            return httpx.Response(200, json={"data": cart, "meta": {}})
        if path == f"{CART_PATH}/redirect_urls" and request.method == "POST":
            return httpx.Response(201, json={"data": NEW_URLS, "meta": {}})
        if path == f"{BASE}/v3/customers":
            return httpx.Response(200, json={"data": customers if customers is not None else [CUSTOMER]})
        return httpx.Response(404, json={"status": 404, "title": "Not found"})

    return handle, seen


# ---- carts --------------------------------------------------------------------------------------


async def test_cart_of_a_registered_customer() -> None:
    handler, seen = store()
    snapshot = await client_for(handler).fetch_cart_snapshot("abc123", CART_ID)

    assert snapshot.platform is Platform.BIGCOMMERCE
    assert (snapshot.store, snapshot.cart_id) == ("abc123", CART_ID)
    assert (snapshot.total, snapshot.currency) == (Decimal("119.5"), "EUR")
    assert snapshot.checkout_url == "https://shop.example/cart.php?action=loadInCheckout&id=x"
    assert snapshot.updated_at == datetime(2024, 3, 5, 10, 15, tzinfo=UTC)
    customer = snapshot.customer
    assert (customer.customer_id, customer.name, customer.locale) == ("11", "Ana Lima", "pt")
    # The account's addresses win over the email typed into the cart.
    assert (customer.email, customer.phone) == ("ana@example.com", "+351912345678")
    assert [
        (line.product_id, line.name, line.sku, line.quantity, line.price, line.image_url, line.url)
        for line in snapshot.lines
    ] == [
        (
            "77",
            "Orbit Terrarium - Large",
            "OTL",
            1,
            Decimal("99.5"),
            "https://cdn.example/otl.jpg",
            "https://shop.example/orbit-terrarium-large/",
        ),
        ("90", "Care guide (PDF)", None, 2, Decimal("10"), None, "https://shop.example/care-guide/"),
    ]

    assert [(r.method, r.url.raw_path) for r in seen] == [
        ("GET", f"{CART_PATH}?include=redirect_urls,line_items.physical_items.options".encode()),
        ("GET", f"{BASE}/v3/customers?id:in=11".encode()),
    ]
    assert all(r.headers["X-Auth-Token"] == "tok" for r in seen)


async def test_guest_cart_uses_the_cart_email() -> None:
    handler, seen = store({**CART, "customer_id": 0, "locale": None})
    snapshot = await client_for(handler).fetch_cart_snapshot("abc123", CART_ID)
    customer = snapshot.customer
    assert customer.customer_id is None
    assert (customer.email, customer.name, customer.phone, customer.locale) == (
        "cart-email@example.com",
        None,
        None,
        None,  # the store's default locale applies
    )
    assert [r.url.path for r in seen] == [CART_PATH]  # no customer read for a guest


async def test_anonymous_guest_cart_has_nobody_to_remind() -> None:
    handler, _ = store({**CART, "customer_id": 0, "email": ""})
    customer = (await client_for(handler).fetch_cart_snapshot("abc123", CART_ID)).customer
    assert (customer.customer_id, customer.email, customer.phone, customer.push_token) == (None,) * 4


async def test_deleted_customer_falls_back_to_the_cart_email() -> None:
    handler, _ = store(customers=[])
    customer = (await client_for(handler).fetch_cart_snapshot("abc123", CART_ID)).customer
    assert (customer.customer_id, customer.email, customer.name) == ("11", "cart-email@example.com", None)


@pytest.mark.parametrize("urls", [None, {}, {"cart_url": "https://shop.example/cart.php"}])
async def test_checkout_link_is_created_when_the_cart_has_none(urls: dict[str, str] | None) -> None:
    cart = {key: value for key, value in CART.items() if key != "redirect_urls"}
    if urls is not None:
        cart["redirect_urls"] = urls
    handler, seen = store(cart)
    snapshot = await client_for(handler).fetch_cart_snapshot("abc123", CART_ID)
    assert snapshot.checkout_url == NEW_URLS["checkout_url"]
    [post] = [r for r in seen if r.method == "POST"]
    assert post.url.path == f"{CART_PATH}/redirect_urls"
    assert post.headers["X-Auth-Token"] == "tok"


async def test_unknown_cart_is_a_permanent_not_found() -> None:
    handler, seen = store(cart=None)
    with pytest.raises(ProviderError) as caught:
        await client_for(handler).fetch_cart_snapshot("abc123", CART_ID)
    assert caught.value.kind == "BigCommerceNotFound"
    assert (caught.value.transient, caught.value.status) == (False, 404)
    assert len(seen) == 1


async def test_a_failing_customer_read_fails_the_snapshot_as_itself() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"{BASE}/v3/customers":
            return httpx.Response(503, text="unavailable")
        return store()[0](request)

    with pytest.raises(ProviderError) as caught:
        await client_for(handle).fetch_cart_snapshot("abc123", CART_ID)
    assert (caught.value.kind, caught.value.transient) == ("BigCommerceServerError", True)


@pytest.mark.parametrize(
    "body",
    [
        {"data": [CART]},
        {"id": CART_ID},
        {"data": {**CART, "line_items": {"physical_items": [{"quantity": 1}]}}},
        {"data": {**CART, "cart_amount": "lots"}},
    ],
)
async def test_unreadable_cart_is_invalid(body: dict[str, Any]) -> None:
    client = client_for(lambda request: httpx.Response(200, json=body))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_cart_snapshot("abc123", CART_ID)
    assert (caught.value.kind, caught.value.transient) == ("BigCommerceInvalidResponse", False)


async def test_cart_id_cannot_change_the_path() -> None:
    handler, seen = store()
    with pytest.raises(ProviderError):
        await client_for(handler).fetch_cart_snapshot("abc123", "../../v2/orders/1")
    assert seen[0].url.raw_path.startswith(b"/stores/abc123/v3/carts/..%2F..%2Fv2%2Forders%2F1?")


# ---- catalog ------------------------------------------------------------------------------------

PRODUCTS = [
    {
        "id": 77,
        "name": "Orbit Terrarium - Large",
        "type": "physical",
        "sku": "OTL",
        "categories": [23, 18],
        "custom_url": {"url": "/orbit-terrarium-large/", "is_customized": False},
        "primary_image": {"id": 1, "url_standard": "https://cdn.example/otl-500.jpg", "is_thumbnail": True},
        "custom_fields": [{"id": 5, "name": "material", "value": "glass"}],
    },
    {
        "id": 90,
        "name": "Fern food",
        "sku": "",
        "categories": [23, 404],
        "custom_url": {"url": "/fern-food/"},
        "custom_fields": [{"id": 6, "name": "replenish_days", "value": "30"}],
    },
    {
        "id": 91,
        "name": "Mister",
        "categories": [],
        "custom_fields": [{"name": "replenish_days", "value": "2.5"}],
    },
]
CATEGORIES = [{"id": 18, "name": "Terrariums", "parent_id": 0}, {"id": 23, "name": "Garden", "parent_id": 0}]


def catalog(products: list[dict[str, Any]] = PRODUCTS) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        wanted = request.url.params["id:in"].split(",")
        if request.url.path == f"{BASE}/v3/catalog/products":
            data = [p for p in products if str(p["id"]) in wanted]
        elif request.url.path == f"{BASE}/v3/catalog/categories":
            data = [c for c in CATEGORIES if str(c["id"]) in wanted]
        else:
            return httpx.Response(404)
        return httpx.Response(200, json={"data": data, "meta": {}})

    return handle, seen


async def test_products_with_categories_and_custom_fields() -> None:
    handler, seen = catalog()
    infos = await client_for(handler).fetch_products("abc123", ["90", "77", "12345", "91", "77"])

    # Asked order, duplicates once, unknown products left out.
    assert [info.product_id for info in infos] == ["90", "77", "91"]
    food, terrarium, mister = infos
    assert (terrarium.name, terrarium.sku, terrarium.categories) == (
        "Orbit Terrarium - Large",
        "OTL",
        ["Garden", "Terrariums"],
    )
    assert (terrarium.url, terrarium.image_url) == (
        "/orbit-terrarium-large/",
        "https://cdn.example/otl-500.jpg",
    )
    assert terrarium.replenish_days is None
    assert (food.sku, food.categories, food.image_url, food.replenish_days) == (None, ["Garden"], None, 30)
    assert mister.replenish_days is None  # not an integer: ignored

    products, categories = seen
    assert products.url.raw_path == (
        f"{BASE}/v3/catalog/products?id:in=90,77,12345,91&include=custom_fields,primary_image".encode()
    )
    assert categories.url.raw_path == f"{BASE}/v3/catalog/categories?id:in=23,18,404".encode()


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("14", 14),
        (" 60 ", 60),
        (45, 45),
        ("0", None),
        ("-3", None),
        ("monthly", None),
        (True, None),
        (None, None),
    ],
)
async def test_replenish_days_must_be_a_positive_integer(value: Any, days: int | None) -> None:
    product = {"id": 1, "name": "Refill", "custom_fields": [{"name": "replenish_days", "value": value}]}
    handler, seen = catalog([product])
    [info] = await client_for(handler).fetch_products("abc123", ["1"])
    assert info.replenish_days == days
    assert len(seen) == 1  # no categories: no category read


async def test_no_products_no_calls() -> None:
    handler, seen = catalog()
    assert await client_for(handler).fetch_products("abc123", []) == []
    assert await client_for(handler).fetch_products("abc123", ["", " "]) == []
    assert seen == []


async def test_long_id_lists_are_split_into_pages() -> None:
    products = [{"id": n, "name": f"P{n}"} for n in range(1, 121)]
    handler, seen = catalog(products)
    infos = await client_for(handler).fetch_products("abc123", [str(n) for n in range(1, 121)])
    assert len(infos) == 120
    assert [len(r.url.params["id:in"].split(",")) for r in seen] == [50, 50, 20]


async def test_product_ids_are_quoted_inside_the_filter() -> None:
    handler, seen = catalog()
    await client_for(handler).fetch_products("abc123", ["77,78&include=x"])
    assert seen[0].url.raw_path.startswith(
        f"{BASE}/v3/catalog/products?id:in=77%2C78%26include%3Dx&".encode()
    )


async def test_unreadable_catalog_is_invalid() -> None:
    client = client_for(lambda request: httpx.Response(200, json={"data": {"id": 1}}))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_products("abc123", ["1"])
    assert caught.value.kind == "BigCommerceInvalidResponse"


# ---- order status -------------------------------------------------------------------------------


def order_store(staff_notes: str | None) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        order = {"id": 250, "status_id": 11, "staff_notes": staff_notes}
        if request.method == "PUT":
            order.update(json.loads(request.content))
        return httpx.Response(200, json=order)

    return handle, seen


async def test_status_write_appends_the_note() -> None:
    handler, seen = order_store("Packed by Sam")
    await client_for(handler).update_order_status("abc123", "250", 5, "Cancelled: customer asked by SMS")
    read, write = seen
    assert (read.method, read.url.path) == ("GET", f"{BASE}/v2/orders/250")
    assert (write.method, write.url.path) == ("PUT", f"{BASE}/v2/orders/250")
    assert json.loads(write.content) == {
        "status_id": 5,
        "staff_notes": "Packed by Sam\nCancelled: customer asked by SMS",
    }


async def test_status_write_without_a_note_reads_nothing() -> None:
    handler, seen = order_store("Packed by Sam")
    await client_for(handler).update_order_status("abc123", "250", 2, None)
    [write] = seen
    assert json.loads(write.content) == {"status_id": 2}


async def test_status_write_retried_keeps_one_note() -> None:
    handler, seen = order_store("Packed by Sam\nCancelled: customer asked by SMS")
    await client_for(handler).update_order_status("abc123", "250", 5, "Cancelled: customer asked by SMS")
    assert json.loads(seen[-1].content) == {"status_id": 5}


@pytest.mark.parametrize("status_id", [99, -1, True])
async def test_unknown_status_id_is_refused_before_any_call(status_id: int) -> None:
    handler, seen = order_store("")
    with pytest.raises(ProviderError) as caught:
        await client_for(handler).update_order_status("abc123", "250", status_id, "x")
    assert (caught.value.kind, caught.value.transient) == ("BigCommerceRejected", False)
    assert seen == []


async def test_status_write_on_an_unknown_order_is_not_found() -> None:
    client = client_for(lambda request: httpx.Response(404, json=[{"status": 404, "message": "nope"}]))
    with pytest.raises(ProviderError) as caught:
        await client.update_order_status("abc123", "9999", 5, "Cancelled")
    assert (caught.value.kind, caught.value.transient) == ("BigCommerceNotFound", False)
