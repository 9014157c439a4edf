"""BigCommerceClient against a transport double: URLs, auth, V2 shapes -> OrderSnapshot, errors."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from connectors.bigcommerce.client import BigCommerceClient
from connectors.errors import ProviderError
from domain.events import OrderStage, Platform

API = "https://api.bigcommerce.test/"
BASE = "/stores/abc123"

ORDER = {
    "id": 250,
    "customer_id": 11,
    "date_created": "Tue, 05 Mar 2019 21:40:39 +0000",
    "date_modified": "Tue, 05 Mar 2019 21:42:02 +0000",
    "status_id": 2,
    "status": "Shipped",
    "custom_status": "Shipped",
    "subtotal_inc_tax": "210.0000",
    "total_ex_tax": "225.0000",
    "total_inc_tax": "225.0000",
    "items_total": 2,
    "payment_method": "Credit Card",
    "currency_code": "USD",
    "shipping_address_count": 1,
    "staff_notes": "",
    "billing_address": {
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "",
        "street_1": "455 Main Street",
        "city": "Austin",
        "state": "Texas",
        "zip": "78751",
        "country": "United States",
        "country_iso2": "US",
        "phone": "+15125550142",
        "email": "jane@example.com",
        "form_fields": [],
    },
    "products": {
        "url": "https://api.bigcommerce.test/stores/abc123/v2/orders/250/products",
        "resource": "/orders/250/products",
    },
}
PRODUCTS = [
    {
        "id": 1,
        "order_id": 250,
        "product_id": 77,
        "name": "Orbit Terrarium - Large",
        "sku": "OTL",
        "quantity": 1,
        "base_price": "109.0000",
        "price_ex_tax": "109.0000",
        "price_inc_tax": "109.0000",
        "image_url": "https://cdn.test/otl.jpg",
    },
    {
        "id": 2,
        "order_id": 250,
        "product_id": 78,
        "name": "Gift wrap",
        "sku": "",
        "quantity": 2,
        "price_inc_tax": "5.5000",
    },
]
SHIPMENTS = [
    {
        "id": 9,
        "order_id": 250,
        "customer_id": 11,
        "order_address_id": 51,
        "date_created": "Wed, 06 Mar 2019 10:00:00 +0000",
        "tracking_number": "1Z999AA10123456784",
        "shipping_method": "Free Shipping",
        "shipping_provider": "ups",
        "tracking_carrier": "ups",
        "tracking_link": "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z999AA10123456784",
        "items": [{"order_product_id": 1, "product_id": 77, "quantity": 1}],
    }
]
ADDRESSES = [{"id": 51, "order_id": 250, "first_name": "Jane", "city": "Austin", "country_iso2": "US"}]

Handler = Callable[[httpx.Request], httpx.Response]


def routes(**overrides: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    """A fake store: the four order reads by path; `overrides` replace answers by resource name."""
    seen: list[httpx.Request] = []
    answers = {
        f"{BASE}/v2/orders/250": httpx.Response(200, json=ORDER),
        f"{BASE}/v2/orders/250/products": httpx.Response(200, json=PRODUCTS),
        f"{BASE}/v2/orders/250/shipments": httpx.Response(200, json=SHIPMENTS),
        f"{BASE}/v2/orders/250/shipping_addresses": httpx.Response(200, json=ADDRESSES),
    }
    for name, response in overrides.items():
        key = f"{BASE}/v2/orders/250" if name == "order" else f"{BASE}/v2/orders/250/{name}"
        answers[key] = response

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        response = answers.get(request.url.path)
        return response if response is not None else httpx.Response(404, json=[{"status": 404}])

    return handle, seen


def client_for(handler: Handler, tokens: dict[str, str] | None = None) -> BigCommerceClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    table = tokens if tokens is not None else {"abc123": "tok-abc"}
    return BigCommerceClient(http, API, lambda store: table[store])


async def test_snapshot_maps_the_v2_shapes() -> None:
    handler, seen = routes()
    snapshot = await client_for(handler).fetch_order_snapshot("abc123", "250")

    assert snapshot.platform is Platform.BIGCOMMERCE
    assert (snapshot.store, snapshot.order_id) == ("abc123", "250")
    assert snapshot.platform_status == "Shipped"
    assert snapshot.stage is OrderStage.SHIPPED
    assert snapshot.total == Decimal("225.0000")
    assert snapshot.currency == "USD"
    assert snapshot.created_at == datetime(2019, 3, 5, 21, 40, 39, tzinfo=UTC)
    assert snapshot.shipping_city == "Austin"

    customer = snapshot.customer
    # No `customer_locale` on the order: None, so the store's default locale applies.
    assert (customer.customer_id, customer.name, customer.locale) == ("11", "Jane Doe", None)
    assert (customer.email, customer.phone) == ("jane@example.com", "+15125550142")

    assert [(line.name, line.sku, line.quantity, line.price, line.image_url) for line in snapshot.lines] == [
        ("Orbit Terrarium - Large", "OTL", 1, Decimal("109.0000"), "https://cdn.test/otl.jpg"),
        ("Gift wrap", None, 2, Decimal("5.5000"), None),
    ]
    [shipment] = snapshot.shipments
    assert shipment.shipment_id == "9"
    assert (shipment.carrier, shipment.tracking_number) == ("ups", "1Z999AA10123456784")
    assert shipment.tracking_link is not None and shipment.tracking_link.startswith(
        "https://wwwapps.ups.com/"
    )
    assert shipment.shipping_method == "Free Shipping"

    assert sorted(request.url.path for request in seen) == sorted(
        [
            f"{BASE}/v2/orders/250",
            f"{BASE}/v2/orders/250/products",
            f"{BASE}/v2/orders/250/shipments",
            f"{BASE}/v2/orders/250/shipping_addresses",
            f"{BASE}/v3/customers",  # the buyer's customer group (VIP alerts)
        ]
    )
    for request in seen:
        assert request.method == "GET"
        assert request.url.host == "api.bigcommerce.test"
        assert request.headers["X-Auth-Token"] == "tok-abc"
        assert request.headers["Accept"] == "application/json"


async def test_guest_checkout_and_sparse_billing() -> None:
    guest = {**ORDER, "customer_id": 0, "status_id": 11, "status": "Awaiting Fulfillment"}
    guest["billing_address"] = {"first_name": "", "last_name": "", "email": "guest@example.com", "phone": ""}
    handler, _ = routes(order=httpx.Response(200, json=guest))
    snapshot = await client_for(handler).fetch_order_snapshot("abc123", "250")
    assert snapshot.stage is OrderStage.PAYMENT_CONFIRMED
    assert snapshot.customer.customer_id is None
    assert snapshot.customer.name is None
    assert snapshot.customer.phone is None
    assert snapshot.customer.email == "guest@example.com"


async def test_status_label_falls_back_to_the_standard_name() -> None:
    order = {key: value for key, value in ORDER.items() if key != "status"}
    handler, _ = routes(order=httpx.Response(200, json={**order, "status_id": 8}))
    snapshot = await client_for(handler).fetch_order_snapshot("abc123", "250")
    assert (snapshot.platform_status, snapshot.stage) == ("Awaiting Pickup", OrderStage.AWAITING_PICKUP)


async def test_204_means_an_empty_list() -> None:
    handler, _ = routes(shipments=httpx.Response(204), shipping_addresses=httpx.Response(204))
    snapshot = await client_for(handler).fetch_order_snapshot("abc123", "250")
    assert snapshot.shipments == []
    assert snapshot.shipping_city is None
    assert len(snapshot.lines) == 2


async def test_lists_are_paged() -> None:
    many = [{"name": f"Item {n}", "quantity": 1, "price_inc_tax": "1.00"} for n in range(300)]
    pages: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        pages.append(str(request.url.params))
        limit, page = int(request.url.params["limit"]), int(request.url.params["page"])
        chunk = many[(page - 1) * limit : page * limit]
        return httpx.Response(200, json=chunk) if chunk else httpx.Response(204)

    items = await client_for(handle).get_order_products("abc123", "250")
    assert len(items) == 300
    assert pages == ["limit=250&page=1", "limit=250&page=2"]


async def test_429_is_transient_with_retry_after() -> None:
    handler, _ = routes(order=httpx.Response(429, headers={"Retry-After": "7"}, text="Too many requests"))
    with pytest.raises(ProviderError) as caught:
        await client_for(handler).fetch_order_snapshot("abc123", "250")
    error = caught.value
    assert error.transient is True
    assert error.status == 429
    assert error.retry_after == 7.0
    assert error.provider == "BigCommerce"
    assert error.kind.endswith("Throttled")


async def test_404_is_permanent() -> None:
    handler, _ = routes(
        order=httpx.Response(404, json=[{"status": 404, "message": "The requested resource was not found."}])
    )
    with pytest.raises(ProviderError) as caught:
        await client_for(handler).fetch_order_snapshot("abc123", "250")
    assert caught.value.transient is False
    assert caught.value.status == 404
    assert caught.value.kind.endswith("NotFound")


async def test_500_on_a_sub_resource_is_transient() -> None:
    handler, _ = routes(products=httpx.Response(502, text="bad gateway"))
    with pytest.raises(ProviderError) as caught:
        await client_for(handler).fetch_order_snapshot("abc123", "250")
    assert caught.value.transient is True
    assert caught.value.status == 502


async def test_transport_error_is_transient() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    with pytest.raises(ProviderError) as caught:
        await client_for(handle).get_order("abc123", "250")
    assert caught.value.transient is True
    assert caught.value.kind.endswith("Unreachable")


async def test_unknown_store_token_is_permanent() -> None:
    def lookup(store: str) -> str:
        raise LookupError(f"no BigCommerce API token configured for store {store}")

    client = BigCommerceClient(httpx.AsyncClient(transport=httpx.MockTransport(routes()[0])), API, lookup)
    with pytest.raises(ProviderError, match="no BigCommerce API token") as caught:
        await client.get_order("zzz", "250")
    assert caught.value.transient is False


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"id": 250}),  # no status_id, totals …
        httpx.Response(200, json=[ORDER]),
    ],
)
async def test_unreadable_order_is_a_permanent_invalid_response(response: httpx.Response) -> None:
    handler, _ = routes(order=response)
    with pytest.raises(ProviderError) as caught:
        await client_for(handler).fetch_order_snapshot("abc123", "250")
    assert caught.value.kind.endswith("InvalidResponse")
    assert caught.value.transient is False


async def test_ids_cannot_change_the_path() -> None:
    handler, seen = routes()
    with pytest.raises(ProviderError):
        await client_for(handler, {"abc123": "t"}).get_order("abc123", "250/../../other")
    assert seen[0].url.raw_path.startswith(b"/stores/abc123/v2/orders/250%2F..%2F..%2Fother")


async def test_get_customer_uses_the_v3_id_filter() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": [{"id": 11, "email": "jane@example.com"}], "meta": {}})

    customer = await client_for(handle).get_customer("abc123", "11")
    assert customer == {"id": 11, "email": "jane@example.com"}
    assert seen[0].url.raw_path == b"/stores/abc123/v3/customers?id:in=11"
    assert seen[0].headers["X-Auth-Token"] == "tok-abc"


async def test_get_customer_none_when_absent() -> None:
    client = client_for(lambda request: httpx.Response(200, json={"data": [], "meta": {}}))
    assert await client.get_customer("abc123", "404") is None


async def test_update_staff_notes_appends_on_a_new_line() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, json={**ORDER, "staff_notes": "Gift: no invoice in the box\n"})
        return httpx.Response(200, json={**ORDER, "staff_notes": json.loads(request.content)["staff_notes"]})

    await client_for(handle).update_staff_notes("abc123", "250", "Customer replied: leave at the door")
    read, write = seen
    assert (read.method, read.url.path) == ("GET", f"{BASE}/v2/orders/250")
    assert (write.method, write.url.path) == ("PUT", f"{BASE}/v2/orders/250")
    assert json.loads(write.content) == {
        "staff_notes": "Gift: no invoice in the box\nCustomer replied: leave at the door"
    }
    assert write.headers["X-Auth-Token"] == "tok-abc"
    assert write.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("existing", ["", None])
async def test_first_staff_note_has_no_leading_newline(existing: str | None) -> None:
    writes: list[object] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={**ORDER, "staff_notes": existing})
        writes.append(json.loads(request.content))
        return httpx.Response(200, json=ORDER)

    await client_for(handle).update_staff_notes("abc123", "250", "SMS sent")
    assert writes == [{"staff_notes": "SMS sent"}]


async def test_a_retried_note_is_not_appended_twice() -> None:
    methods: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return httpx.Response(200, json={**ORDER, "staff_notes": "Packed by Sam\nSMS sent"})

    await client_for(handle).update_staff_notes("abc123", "250", "SMS sent")
    await client_for(handle).update_staff_notes("abc123", "250", "   ")
    assert methods == ["GET"]


async def test_order_lines_carry_the_product_id() -> None:
    products = [{**PRODUCTS[0]}, {**PRODUCTS[1], "product_id": 0}, {"name": "No id", "quantity": 1}]
    handler, _ = routes(products=httpx.Response(200, json=products))
    snapshot = await client_for(handler).fetch_order_snapshot("abc123", "250")
    # 0 is BigCommerce's "custom product, not in the catalog".
    assert [line.product_id for line in snapshot.lines] == ["77", None, None]
