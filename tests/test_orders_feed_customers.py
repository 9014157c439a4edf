"""Every platform's orders reach the buyer's CustomerLifecycle and the customers table, through each
platform's own webhook into the ingress: BigCommerce's thin `{id}` (the order read names the buyer)
and SAP's order status change, not only SFCC's order.created. A BigCommerce order also speaks the
shopper's storefront language, alerts the account team for a VIP customer group and for the express
method chosen at checkout."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from connectors.bigcommerce.client import BigCommerceClient
from connectors.bigcommerce.shapes import order_snapshot
from connectors.sap_commerce import simulate as sap_simulate
from connectors.sap_commerce.webhooks import ORDER_IO
from domain.events import Platform, customer_workflow_id
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import API_TOKEN, SAP_PASSWORD, SAP_USER, WEBHOOK_SECRET, Served
from tests.platforms.sap import SapShop
from tests.shop import Shop, eventually
from workflows.customer_lifecycle import CustomerLifecycle, LifecycleStatus


@pytest.fixture
async def stores(settings: Settings) -> Any:
    opened = await Stores.open(settings.database_url)
    yield opened
    await opened.close()


async def outbox(http: httpx.AsyncClient, sandbox: Served, prefix: str) -> list[dict[str, Any]]:
    r = await http.get(f"{sandbox.url}/sandbox/messages")
    r.raise_for_status()
    return [m for m in r.json() if str(m.get("reference") or "").startswith(prefix)]


async def lifecycle(client: Client, workflow_id: str) -> LifecycleStatus:
    return await client.get_workflow_handle(workflow_id).query(CustomerLifecycle.status)


async def seed_bigcommerce_order(shop: Shop, order_id: int, customer_id: int, **order: Any) -> None:
    body: dict[str, Any] = {
        "id": order_id,
        "customer_id": customer_id,
        "status_id": 11,  # Awaiting Fulfillment: paid
        "total_inc_tax": "84.50",
        "currency_code": "EUR",
        "date_created": "Mon, 23 Nov 2026 09:00:00 +0000",
        "billing_address": {
            "first_name": "Zoé",
            "last_name": "Martin",
            "email": "zoe@example.fr",
            "phone": "",
            "country_iso2": "FR",
        },
        "products": [
            {"name": "Tasse", "sku": "MUG-FR", "quantity": 1, "price_inc_tax": "84.50", "product_id": 0}
        ],
        **order,
    }
    r = await shop.http.put(f"{shop.sandbox}/sandbox/bigcommerce/{shop.store}/orders/{order_id}", json=body)
    r.raise_for_status()


async def test_a_bigcommerce_order_feeds_the_lifecycle_the_customers_table_and_the_vip_alert(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, client: Client, stores: Stores
) -> None:
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    (
        await http.put(
            f"{sandbox.url}/sandbox/bigcommerce/{shop.store}/customer_groups/3", json={"name": "VIP"}
        )
    ).raise_for_status()
    customer = {"email": "zoe@example.fr", "first_name": "Zoé", "last_name": "Martin", "customer_group_id": 3}
    (
        await http.put(f"{sandbox.url}/sandbox/bigcommerce/{shop.store}/customers/41", json=customer)
    ).raise_for_status()
    express = [{"id": 1, "city": "Lyon", "country_iso2": "FR", "shipping_method": "Express (next day)"}]
    await seed_bigcommerce_order(shop, 5001, 41, customer_locale="fr", shipping_addresses=express)

    assert (await shop.created(5001)).status_code == 202
    workflow_id = customer_workflow_id(Platform.BIGCOMMERCE, shop.store, "41")

    async def counted() -> bool:
        try:
            s = await lifecycle(client, workflow_id)
        except Exception:  # not started yet
            return False
        return s.orders_count == 1

    await eventually(counted, timeout=60, what="the BigCommerce order in the buyer's lifecycle")
    status = await lifecycle(client, workflow_id)
    assert status.winback_due is not None and status.profile.email == "zoe@example.fr"

    async def recorded() -> bool:
        facts = await stores.customers.get("bigcommerce", shop.store, "41")
        return facts is not None and facts.orders_count == 1

    await eventually(recorded, what="the customers table")
    facts = await stores.customers.get("bigcommerce", shop.store, "41")
    assert facts is not None and facts.email == "zoe@example.fr" and str(facts.total_spent) == "84.50"

    async def told() -> bool:
        order = await outbox(http, sandbox, shop.workflow_id(5001) + ":")
        vip = await outbox(http, sandbox, f"alerts:bigcommerce:{shop.store}:vip_purchase")
        return len(order) >= 2 and bool(vip)  # the confirmation and the expedited alert; the VIP digest

    await eventually(told, timeout=60, what="the confirmation and the account team's alerts")
    messages = await outbox(http, sandbox, shop.workflow_id(5001) + ":")
    [confirmation] = [m for m in messages if m["to"] == "zoe@example.fr"]
    assert confirmation["subject"] == "Votre commande #5001 est confirmée", "the shopper's language"
    [expedited] = [m for m in messages if str(m["reference"]).endswith(":expedited")]
    assert expedited["to"] == "accounts@example.com" and "Express (next day)" in expedited["body"]
    [vip] = await outbox(http, sandbox, f"alerts:bigcommerce:{shop.store}:vip_purchase")
    assert vip["to"] == "accounts@example.com" and "5001" in vip["body"]


def test_a_bigcommerce_order_without_a_language_leaves_it_to_the_stores_default() -> None:
    order = {"id": 1, "status_id": 11, "total_inc_tax": "1", "currency_code": "EUR", "customer_id": 0}
    assert order_snapshot("h", order, [], [], []).customer.locale is None  # DeliveryPolicy.default_locale
    french = order_snapshot("h", {**order, "customer_locale": "fr"}, [], [], [])
    assert french.customer.locale == "fr"


async def test_a_guest_bigcommerce_order_speaks_the_stores_default(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    await seed_bigcommerce_order(shop, 5002, 0)  # a guest: no lifecycle; English, the default here
    assert (await shop.created(5002)).status_code == 202

    async def confirmed() -> bool:
        return bool(await outbox(http, sandbox, shop.workflow_id(5002) + ":"))

    await eventually(confirmed, timeout=60, what="the confirmation")
    [confirmation] = await outbox(http, sandbox, shop.workflow_id(5002) + ":")
    assert confirmation["subject"] == "Order #5002 is confirmed"


async def test_an_sap_order_feeds_the_lifecycle_and_every_order_restarts_the_winback_clock(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, client: Client, stores: Stores
) -> None:
    shop = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    assert (await shop.place_order("S-1", customer_id="c-9", email="kai@example.de")).status_code < 300
    workflow_id = customer_workflow_id(Platform.SAP_COMMERCE, shop.store, "c-9")

    async def orders(n: int) -> bool:
        try:
            return (await lifecycle(client, workflow_id)).orders_count == n
        except Exception:
            return False

    await eventually(lambda: orders(1), timeout=60, what="the SAP order in the buyer's lifecycle")
    first_due = (await lifecycle(client, workflow_id)).winback_due
    assert first_due is not None
    assert (await shop.place_order("S-2", customer_id="c-9", email="kai@example.de")).status_code < 300
    await eventually(lambda: orders(2), timeout=60, what="the second SAP order")
    second_due = (await lifecycle(client, workflow_id)).winback_due
    assert second_due is not None and second_due > first_due, "the later order restarts the clock"

    async def recorded() -> bool:
        facts = await stores.customers.get("sap-commerce", shop.store, "c-9")
        return facts is not None and facts.orders_count == 2

    await eventually(recorded, what="both orders in the customers table")
    facts = await stores.customers.get("sap-commerce", shop.store, "c-9")
    assert facts is not None and facts.email == "kai@example.de"


async def test_an_api_account_without_the_customers_scope_still_reads_the_order() -> None:
    """A 403 from `/v3/customers` means no VIP check, not an order that cannot be told."""
    order = {"id": 9, "status_id": 11, "total_inc_tax": "5", "currency_code": "USD", "customer_id": 4}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/v2/orders/9"):
            return httpx.Response(200, json=order)
        if "/v3/customers" in path:
            return httpx.Response(403, json={"status": 403, "title": "You don't have a required scope"})
        return httpx.Response(204)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    client = BigCommerceClient(http, "https://api.bigcommerce.test", lambda store: "token")
    snapshot = await client.fetch_order_snapshot("abc", "9")
    assert snapshot.customer.customer_id == "4" and snapshot.customer_groups == []


async def test_an_sap_order_of_a_vip_group_alerts_the_account_team(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    doc = sap_simulate.order_document(
        shop.store, "V-1", status="PAYMENT_CAPTURED", customer_id="c-vip", placed_at=datetime.now(UTC)
    )
    doc["user"]["groups"] = [{"uid": "customergroup"}, {"uid": "vip"}]
    await shop.seeds.put("orders", "V-1", doc)
    assert (await shop.post(ORDER_IO, doc, operation="Created")).status_code == 202

    async def alerted() -> bool:
        return bool(await outbox(http, sandbox, f"alerts:sap-commerce:{shop.store}:vip_purchase"))

    await eventually(alerted, timeout=60, what="the VIP alert")
    [vip] = await outbox(http, sandbox, f"alerts:sap-commerce:{shop.store}:vip_purchase")
    assert vip["to"] == "accounts@example.com" and "V-1" in vip["body"]


async def test_an_sap_express_order_alerts_the_account_team_when_placed(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    doc = sap_simulate.order_document(
        shop.store, "X-1", status="PAYMENT_CAPTURED", placed_at=datetime.now(UTC)
    )
    doc["deliveryMode"] = {"code": "express-gross", "integrationKey": "express-gross"}
    await shop.seeds.put("orders", "X-1", doc)
    assert (await shop.post(ORDER_IO, doc, operation="Created")).status_code == 202
    prefix = shop.order_workflow_id("X-1") + ":"

    async def alerted() -> bool:
        return any(str(m["reference"]).endswith(":expedited") for m in await outbox(http, sandbox, prefix))

    await eventually(alerted, timeout=60, what="the expedited alert")
    [expedited] = [
        m for m in await outbox(http, sandbox, prefix) if str(m["reference"]).endswith(":expedited")
    ]
    assert expedited["to"] == "accounts@example.com" and "express-gross" in expedited["body"]


async def test_a_campaign_reaches_a_bigcommerce_buyer(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, stores: Stores
) -> None:
    """A BigCommerce store's campaign audience is its buyers (their orders came through thin webhooks)."""
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    await seed_bigcommerce_order(shop, 6001, 51)
    opted = await http.put(
        f"{ingress.url}/customers/bigcommerce/{shop.store}/51/preferences",
        json={"marketing_opt_in": ["email"]},
        headers=auth,
    )
    opted.raise_for_status()
    assert (await shop.created(6001)).status_code == 202

    async def recorded() -> bool:
        return await stores.customers.get("bigcommerce", shop.store, "51") is not None

    await eventually(recorded, timeout=60, what="the buyer in the customers table")
    started = await http.post(
        f"{ingress.url}/campaigns",
        json={
            "store": shop.store,
            "campaign_id": "thanks",
            "platform": "bigcommerce",
            "segment": {"ordered_within_days": 30},
            "content": {"subject": "Thank you", "text": "10 % off your next order."},
        },
        headers=auth,
    )
    assert started.status_code == 202, started.text
    url = f"{ingress.url}{started.json()['progress']}"

    async def completed() -> bool:
        return (await http.get(url, headers=auth)).json()["state"] == "completed"

    await eventually(completed, timeout=60, what="the campaign")
    progress = (await http.get(url, headers=auth)).json()["progress"]
    assert (progress["audience"], progress["sent"]) == (1, 1)
    [message] = await outbox(http, sandbox, f"campaign:{shop.store}:thanks:")
    assert message["to"] == "zoe@example.fr" and message["subject"] == "Thank you"
