"""A review submitted on the platform ends the review request: no reminder follows. SFCC posts it
(`review.submitted`, from the merchant's review form through the cartridge); BigCommerce has no review
webhook and SAP Commerce's CustomerReview names no order, so they cannot tell us which request ends."""

from __future__ import annotations

import httpx
from temporalio.client import Client

from connectors.sfcc import parse_webhook
from connectors.sfcc.simulate import body_of, envelope
from domain.events import EventType, OrderStage, review_workflow_id
from tests.conftest import API_TOKEN, SFCC_SECRET, Served
from tests.platforms.sfcc import SfccShop
from tests.test_journeys_all_platforms import order_id, outbox, wait_messages
from workflows.review_request import ReviewStatus


def test_a_review_names_its_order_and_goes_to_the_review_request() -> None:
    data = {"order_no": "00001234", "product_id": "MUG-1", "rating": 5, "customer_no": "7"}
    [event] = parse_webhook(body_of(envelope("review.submitted", "RefArch", data))).events
    assert event.type is EventType.REVIEW_SUBMITTED and event.extra == {"rating": 5}
    assert event.workflow_id() == review_workflow_id("sfcc", "RefArch", "00001234")


async def test_a_review_on_sfcc_stops_the_reminder(
    client: Client, http: httpx.AsyncClient, sandbox: Served, fast_ingress: Served, ingress: Served
) -> None:
    shop = SfccShop(http, sandbox.url, fast_ingress.url, SFCC_SECRET)
    opted = await http.put(
        f"{ingress.url}/customers/sfcc/{shop.store}/7/preferences",
        json={"marketing_opt_in": ["email"]},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    opted.raise_for_status()
    oid = order_id()
    await shop.place_order(oid, phone=None)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    await shop.move(oid, OrderStage.SHIPPED)
    await shop.move(oid, OrderStage.DELIVERED)
    workflow_id = review_workflow_id("sfcc", shop.store, oid)
    await wait_messages(http, sandbox, workflow_id + ":request", 1)

    review = {"order_no": oid, "product_id": "MUG-1", "rating": 4, "customer_no": "7"}
    assert (await shop.post("review.submitted", review)).status_code == 202

    result = await client.get_workflow_handle(workflow_id, result_type=ReviewStatus).result()
    assert result.state == "reviewed"
    assert [m["reference"] for m in await outbox(http, sandbox, workflow_id + ":")] == [
        f"{workflow_id}:request"
    ]


async def test_a_review_without_a_waiting_request_starts_nothing(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)
    review = {"order_no": order_id(), "product_id": "MUG-1"}
    answered = await shop.post("review.submitted", review)
    assert answered.status_code in (200, 202), answered.text
    assert answered.json().get("workflow_ids", []) == []
