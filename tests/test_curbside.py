"""Curbside pickup from SFCC's own webhooks: the merchant moves the pickup window (the cartridge's
`c_pickupWindowEnd`), the customer hears the new deadline; "I'm here" comes back as a push action
with the car described, through OpenText's inbound callback, and reaches the store team."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.client import Client

from domain.events import OrderStage, pickup_workflow_id
from domain.notifications import Channel, InboundMessage
from tests.conftest import API_TOKEN, SFCC_SECRET, Served
from tests.platforms.sfcc import SfccShop
from tests.shop import eventually
from tests.test_journeys_all_platforms import order_id, outbox, steps, wait_messages
from workflows.pickup import Pickup, PickupStatus, arrival_details


async def test_a_moved_window_and_an_arrival_by_push_action(
    client: Client, http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SfccShop(http, sandbox.url, ingress.url, SFCC_SECRET)
    token = f"device-{uuid.uuid4().hex[:10]}"
    registered = await http.put(
        f"{ingress.url}/customers/sfcc/{shop.store}/7/preferences",
        json={"push_token": token},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    registered.raise_for_status()
    oid = order_id()
    await shop.place_order(oid, pickup=True)
    await wait_messages(http, sandbox, shop.order_workflow_id(oid) + ":", 1)
    await shop.move(oid, OrderStage.AWAITING_PICKUP)
    workflow_id = pickup_workflow_id("sfcc", shop.store, oid)
    [ready] = await wait_messages(http, sandbox, workflow_id + ":ready", 1)
    assert (ready["channel"], ready["to"]) == ("push", token)

    # the store moves the pickup window: the back office sets the new end, SFCC posts order.updated
    new_end = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    doc = await shop.order(oid)
    doc["c_previousPickupWindowEnd"], doc["c_pickupWindowEnd"] = (
        doc.get("c_pickupWindowEnd"),
        new_end.isoformat(),
    )
    await shop.seeds.put("orders", oid, doc)
    assert (await shop.post("order.updated", doc)).status_code == 202

    async def moved() -> bool:
        status: PickupStatus = await client.get_workflow_handle(workflow_id).query(Pickup.status)
        return status.deadline == new_end and any("window_changed" in m.key for m in status.messages)

    await eventually(moved, what="the moved window told")

    # "I'm here" from the app: the HERE action of the "ready" push, with the car typed in; OpenText
    # posts it with the push's reference
    here = {
        "from": token,
        "channel": "push",
        "action": "HERE",
        "text": "blue Fiat, bay 7",
        "reference": ready["reference"],
    }
    replied = await http.post(f"{sandbox.url}/sandbox/reply", json=here)
    assert replied.status_code == 202 and replied.json()["handling"] == "routed", replied.text
    [alert] = await wait_messages(http, sandbox, workflow_id + ":ops:customer_here", 1)
    assert "Bay/car: blue Fiat, bay 7" in str(alert["body"] or alert["text"])
    [ack] = await wait_messages(http, sandbox, workflow_id + ":arrival_ack", 1)
    assert (ack["channel"], ack["to"]) == ("push", token)  # answered where they wrote

    await shop.move(oid, OrderStage.DELIVERED)  # collected
    result = await client.get_workflow_handle(workflow_id, result_type=PickupStatus).result()
    assert result.state == "collected" and result.arrival_details == "blue Fiat, bay 7"
    sent = steps(await outbox(http, sandbox, workflow_id + ":"), workflow_id + ":")
    assert (
        sent[0] == "ready" and sent[-1] == "collected" and any(s.startswith("window_changed") for s in sent)
    )


def test_what_follows_here_is_the_bay_or_car() -> None:
    def said(text: str, action: str | None = None) -> str | None:
        return arrival_details(
            InboundMessage(
                channel=Channel.SMS,
                sender="+14155550101",
                text=text,
                received_at=datetime.now(UTC),
                action=action,
            )
        )

    assert said("here") == ""
    assert said("HERE: bay 4, red Golf") == "bay 4, red Golf"
    assert said("Ich bin da - Platz 3") == "Platz 3"
    assert said("Hierarchy of needs") is None  # a word that merely starts like one
    assert said("where do I park?") is None
    assert said("silver Tesla", action="HERE") == "silver Tesla"
