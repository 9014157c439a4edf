"""Tracking links from the per-carrier URL table, on every platform: SAP consignments carry a carrier and
a tracking id but no URL, and the shipped SMS still links to the carrier's page; a carrier the table
does not know gets its tracking number shown instead; a store's own rows win."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.client import Client

from connectors.sap_commerce import simulate
from connectors.sap_commerce.webhooks import ORDER_IO
from domain.events import OrderStage, Platform
from domain.notifications import Shipment
from domain.settings import Settings
from domain.tracking import tables_for, tracking_link, tracking_table, with_tracking_links
from starter.ingress import create_app as create_ingress
from tests.conftest import SAP_PASSWORD, SAP_USER, Served, free_port
from tests.platforms.sap import SapShop
from tests.test_journeys_all_platforms import order_id, wait_messages
from worker import running_worker

SAP = Platform.SAP_COMMERCE


def test_the_table_matches_carriers_however_they_are_spelled() -> None:
    table = tracking_table()
    assert tracking_link("Royal Mail", "AB 123", table) == (
        "https://www.royalmail.com/track-your-item#/tracking-results/AB%20123"
    )
    assert tracking_link("royal-mail", "X1", table) == tracking_link("ROYALMAIL", "X1", table)
    assert tracking_link("Acme Couriers", "X1", table) is None
    assert tracking_link("UPS", None, table) is None


def test_a_link_the_platform_sent_is_kept() -> None:
    own = Shipment(shipment_id="1", carrier="UPS", tracking_number="1Z", tracking_link="https://shop/t/1Z")
    bare = Shipment(shipment_id="2", carrier="ups", tracking_number="1Z9")
    kept, built = with_tracking_links([own, bare], tracking_table())
    assert kept.tracking_link == "https://shop/t/1Z"
    assert built.tracking_link == "https://www.ups.com/track?tracknum=1Z9"


def test_a_store_and_a_deployment_add_their_own_carriers(tmp_path: Path) -> None:
    path = tmp_path / "stores.toml"
    path.write_text(
        '[[stores]]\nplatform = "sap-commerce"\nstore = "electronics"\n'
        'settings = { tracking_urls = { "Acme Couriers" = "https://acme.example/t/{number}" } }\n'
    )
    settings = Settings(stores_file=path, tracking_urls={"UPS": "https://ups.internal/{number}"})
    table = tables_for(settings)
    assert tracking_link("acme couriers", "7", table(SAP, "electronics")) == ("https://acme.example/t/7")
    assert tracking_link("Acme Couriers", "7", table(SAP, "other")) is None
    assert tracking_link("UPS", "7", table(SAP, "other")) == "https://ups.internal/7"


async def ship(shop: SapShop, oid: str, carrier: str) -> httpx.Response:
    """The warehouse hands the consignment to `carrier`: SAP records the tracking id, never a URL."""
    doc = (await shop.seeds.get("orders", oid))["order"]
    shop.apply(doc, OrderStage.SHIPPED)
    doc["consignments"] = [
        simulate.consignment(
            f"{oid}-1", "SHIPPED", tracking_id=f"TRK{oid}", carrier=carrier, shipped_at=datetime.now(UTC)
        )
    ]
    doc["modifiedtime"] = simulate.sap_date(datetime.now(UTC))
    await shop.seeds.put("orders", oid, doc)
    return await shop.post(ORDER_IO, doc)


async def test_the_shipped_sms_links_to_the_carrier_or_shows_the_number(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)
    known, unknown = order_id(), order_id()
    for oid, carrier in ((known, "UPS"), (unknown, "Acme Couriers")):
        await shop.place_order(oid)
        await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
        assert (await ship(shop, oid, carrier)).status_code == 202
    [linked] = await wait_messages(http, sandbox, shop.order_workflow_id(known) + ":shipped", 1)
    assert linked["channel"] == "sms"
    assert f"Track it: https://www.ups.com/track?tracknum=TRK{known}" in str(linked["text"])
    [numbered] = await wait_messages(http, sandbox, shop.order_workflow_id(unknown) + ":shipped", 1)
    assert f"Tracking number: TRK{unknown}" in str(numbered["text"])


async def test_a_stores_own_carrier_row_builds_its_links(
    tmp_path: Path, settings: Settings, client: Client, http: httpx.AsyncClient, sandbox: Served
) -> None:
    shop = SapShop(http, sandbox.url, "", SAP_USER, SAP_PASSWORD)
    path = tmp_path / "stores.toml"
    path.write_text(
        f'[[stores]]\nplatform = "sap-commerce"\nstore = "{shop.store}"\n'
        'settings = { tracking_urls = { "Acme Couriers" = "https://acme.example/t/{number}" } }\n'
    )
    own = Settings(
        **{
            **settings.model_dump(),
            "stores_file": path,
            "ingress_port": free_port(),
            "task_queue": f"{settings.task_queue}-own",  # its own worker reads the stores file
        }
    )

    async def same_client() -> Client:
        return client

    async with running_worker(client, own), Served(create_ingress(own, same_client), own.ingress_port) as app:
        shop.ingress = app.url
        oid = order_id()
        await shop.place_order(oid)
        await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
        await ship(shop, oid, "Acme Couriers")
        [shipped] = await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":shipped", 1)
        assert f"https://acme.example/t/TRK{oid}" in str(shipped["text"])
