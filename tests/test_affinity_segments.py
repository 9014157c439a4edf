"""Brand and product affinity: what customers bought (from every platform's orders, through the order
read) is kept in the customers table, and campaign segments ask for it (`bought`, `brand`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from connectors.sap_commerce.catalog_documents import SapProduct
from connectors.sap_commerce.document_mapping import product_info as sap_product_info
from connectors.sfcc.simulate import order_document
from domain.campaign import CustomerFacts, SegmentFilter
from domain.events import Platform
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import API_TOKEN, SFCC_SECRET, WEBHOOK_SECRET, Served
from tests.platforms.sfcc import SfccShop
from tests.shop import Shop, eventually


def facts(store: str, customer_id: str, **bought: Any) -> CustomerFacts:
    return CustomerFacts(platform=Platform.SFCC, store=store, customer_id=customer_id, **bought)


async def audience(stores: Stores, store: str, **segment: Any) -> list[str]:
    page = await stores.customers.page(store, None, SegmentFilter(**segment), datetime.now(UTC), None, 50)
    return [c.customer_id for c in page]


async def test_segments_by_product_and_brand_on_both_databases(stores: Stores) -> None:
    store = f"s{uuid.uuid4().hex[:6]}"
    await stores.customers.upsert(facts(store, "1", products=["MUG-1", "Espresso Mug"], brands=["Acme"]))
    await stores.customers.upsert(facts(store, "2", products=["TEA-9"], brands=["Leaf & Co"]))
    await stores.customers.upsert(facts(store, "3", products=["MUG-10"], brands=["100%_Wool"]))
    await stores.customers.upsert(facts(store, "2", products=["MUG-1"]))  # a later order adds, never removes

    assert await audience(stores, store, bought=["mug-1"]) == ["1", "2"]  # not MUG-10: whole names
    assert await audience(stores, store, bought=["espresso mug", "TEA-9"]) == ["1", "2"]
    assert await audience(stores, store, brand=["ACME"]) == ["1"]
    assert await audience(stores, store, brand=["100%_wool"]) == ["3"]  # LIKE's wildcards are literal
    assert await audience(stores, store, brand=["100"]) == []
    assert await audience(stores, store, bought=["MUG-1"], brand=["leaf & co"]) == ["2"]
    kept = await stores.customers.get(Platform.SFCC, store, "2")
    assert kept is not None and kept.products == ["tea-9", "mug-1"] and kept.brands == ["leaf & co"]


def test_an_empty_affinity_filter_is_refused() -> None:
    with pytest.raises(ValidationError, match="bought must name at least one value"):
        SegmentFilter(bought=[" "])
    assert SegmentFilter(brand=["Acme"]).describe() == "brand acme"


async def test_an_sfcc_orders_products_and_brands_reach_the_customers_table(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, settings: Settings
) -> None:
    site = SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)
    order_no = f"A{uuid.uuid4().hex[:6]}"
    doc = order_document(order_no, customer_no="88", product_id="KETTLE-2", product_name="Gooseneck Kettle")
    doc["product_items"][0]["c_brand"] = "Fellow"
    await site._seed_order(doc)
    assert (await site.post("order.created", doc)).status_code == 202
    opened = await Stores.open(settings.database_url)
    try:

        async def recorded() -> bool:
            return await audience(opened, site.store, brand=["fellow"], bought=["kettle-2"]) != []

        await eventually(recorded, timeout=60, what="the order's brand and product in the customers table")
        assert await audience(opened, site.store, bought=["gooseneck kettle"]) != []
        assert await audience(opened, site.store, brand=["acme"]) == []
    finally:
        await opened.close()


async def test_a_bigcommerce_orders_brands_come_from_the_catalog(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served, settings: Settings
) -> None:
    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    base = f"{sandbox.url}/sandbox/bigcommerce/{shop.store}"
    (await http.put(f"{base}/brands/5", json={"name": "Fellow"})).raise_for_status()
    (await http.put(f"{base}/products/21", json={"name": "Stagg Kettle", "brand_id": 5})).raise_for_status()
    order = {
        "id": 7001,
        "customer_id": 61,
        "status_id": 11,
        "total_inc_tax": "165.00",
        "currency_code": "USD",
        "billing_address": {"first_name": "Ida", "email": "ida@example.com"},
        "products": [{"name": "Stagg Kettle", "sku": "STAGG", "product_id": 21, "price_inc_tax": "165.00"}],
    }
    (await http.put(f"{base}/orders/7001", json=order)).raise_for_status()
    assert (await shop.created(7001)).status_code == 202
    opened = await Stores.open(settings.database_url)
    try:

        async def recorded() -> bool:
            return await audience(opened, shop.store, brand=["fellow"]) == ["61"]

        await eventually(recorded, timeout=60, what="the catalog's brand in the customers table")
        assert await audience(opened, shop.store, bought=["stagg"]) == ["61"]
    finally:
        await opened.close()


def test_sap_products_name_their_brand_by_manufacturer() -> None:
    product = SapProduct.model_validate({"code": "K-1", "name": "Kettle", "manufacturerName": "Fellow"})
    assert sap_product_info(product).brand == "Fellow"
