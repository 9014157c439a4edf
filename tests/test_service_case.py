"""Two-way service cases end to end through the sandbox: a case opened by a BigCommerce webhook, the
customer's SMS answer routed back into it, acknowledged, written into the platform (a staff note) and
the generic service desk (signed), and kept in the case's transcript; plus replies that match no case
or several, wrong answers, the reminder and the escalation, platform updates and closing."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from temporalio.client import Client

from connectors.bigcommerce.simulate import message_webhook
from domain.events import CaseKind, CasePayload, CommerceEvent, EventType, Platform, case_workflow_id
from domain.settings import Settings
from store.stores import Stores
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from workflows.service_case import CaseStatus, ServiceCase


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)


@pytest.fixture
def fast_shop(http: httpx.AsyncClient, sandbox: Served, fast_ingress: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, fast_ingress.url, WEBHOOK_SECRET, API_TOKEN)


async def open_case(shop: Shop, order_id: int, phone: str) -> str:
    await shop.seed(order_id, status=2, phone=phone)
    response = await shop.post(message_webhook(shop.store, order_id))
    assert response.status_code == 202, response.text
    workflow_id = case_workflow_id("bigcommerce", shop.store, f"order-{order_id}")
    assert response.json()["workflow_ids"] == [workflow_id]
    await eventually(lambda: _sent(shop, workflow_id, "opened"), what="the case notification")
    return workflow_id


async def _sent(shop: Shop, workflow_id: str, step: str) -> bool:
    return bool(await shop.journey_messages(f"{workflow_id}:{step}"))


async def case_status(client: Client, workflow_id: str) -> CaseStatus:
    return await client.get_workflow_handle(workflow_id).query(ServiceCase.status)


async def reply(shop: Shop, sender: str, text: str) -> httpx.Response:
    return await shop.http.post(f"{shop.sandbox}/sandbox/reply", json={"from": sender, "text": text})


async def test_a_whole_conversation(shop: Shop, client: Client, sandbox: Served) -> None:
    phone = "+14155550301"
    case = await open_case(shop, 601, phone)
    [opened] = await shop.journey_messages(f"{case}:opened")
    status = await case_status(client, case)
    assert opened["channel"] == "sms" and opened["to"] == phone
    assert "1 confirm the proposed next step, 2 talk to an agent" in str(opened["text"])
    assert status.code in str(opened["text"])

    answered = await reply(shop, phone, "2")
    assert answered.status_code == 202 and answered.json()["handling"] == "routed"

    await eventually(lambda: _sent(shop, case, "ack"), what="the acknowledgment")
    [ack] = await shop.journey_messages(f"{case}:ack")
    assert "talk to an agent" in str(ack["text"])

    async def written_back() -> bool:
        desk = (await shop.http.get(f"{sandbox.url}/sandbox/service-desk")).json()
        return any(r["body"]["case_id"] == "order-601" for r in desk)

    await eventually(written_back, what="the service desk write")
    desk = [
        r
        for r in (await shop.http.get(f"{sandbox.url}/sandbox/service-desk")).json()
        if r["body"]["case_id"] == "order-601"
    ]
    assert desk[0]["signature_valid"] is True
    assert desk[0]["body"]["text"] == "2" and desk[0]["body"]["meaning"] == "agent"
    writes = (await shop.http.get(f"{sandbox.url}/sandbox/bigcommerce/writes")).json()
    notes = [w["body"].get("staff_notes", "") for w in writes if w.get("store_hash") == shop.store]
    assert any('customer replied by sms: "2" (agent)' in note for note in notes)

    status = await case_status(client, case)
    assert status.state == "needs_agent"
    customer_lines = [line for line in status.transcript if line.who == "customer"]
    assert [(line.text, line.meaning, line.channel) for line in customer_lines] == [("2", "agent", "sms")]


async def test_a_reply_with_no_open_case_gets_a_helpful_answer_and_is_kept(
    shop: Shop, settings: Settings
) -> None:
    stores = await Stores.open(settings.database_url)
    phone = "+14155550302"
    answered = await reply(shop, phone, "Where is my parcel?")
    assert answered.status_code == 202 and answered.json()["handling"] == "unmatched"
    await eventually(lambda: _to(shop, phone, "could not match"), what="the helpful answer")
    kept = await stores.inbound.for_sender(phone)
    assert [(row.text, row.handling) for row in kept] == [("Where is my parcel?", "unmatched")]


async def _to(shop: Shop, address: str, text: str) -> bool:
    messages = (await shop.http.get(f"{shop.sandbox}/sandbox/messages")).json()
    return any(m["to"] == address and text in str(m.get("text")) for m in messages)


async def test_two_open_cases_need_the_reference_code(shop: Shop, client: Client) -> None:
    phone = "+14155550303"
    first = await open_case(shop, 603, phone)
    second = await open_case(shop, 604, phone)
    codes = {(await case_status(client, wf)).code: wf for wf in (first, second)}

    answered = await reply(shop, phone, "1")
    assert answered.json()["handling"] == "ambiguous"
    await eventually(lambda: _to(shop, phone, "several open requests"), what="which-case question")
    [question] = [
        m
        for m in (await shop.http.get(f"{shop.sandbox}/sandbox/messages")).json()
        if m["to"] == phone and "several open requests" in str(m["text"])
    ]
    assert all(code in str(question["text"]) for code in codes)

    code, chosen = next(iter(codes.items()))
    answered = await reply(shop, phone, f"{code.lower()} 1")
    assert answered.json() == {"status": "accepted", "handling": "routed", "detail": chosen}
    await eventually(lambda: _sent(shop, chosen, "ack"), what="the acknowledgment")
    status = await case_status(client, chosen)
    assert [line.text for line in status.transcript if line.who == "customer"] == ["1"]


async def test_a_wrong_answer_gets_the_options_again(shop: Shop, client: Client) -> None:
    phone = "+14155550305"
    case = await open_case(shop, 605, phone)
    await reply(shop, phone, "maybe tomorrow")
    await eventually(lambda: _sent(shop, case, "help"), what="the options again")
    status = await case_status(client, case)
    assert status.transcript[-2].meaning == "not an option" and status.state == "waiting"


async def test_no_answer_brings_a_reminder_then_an_agent(
    fast_shop: Shop, client: Client, sandbox: Served
) -> None:
    case = await open_case(fast_shop, 606, "+14155550306")
    await eventually(lambda: _sent(fast_shop, case, "reminder"), what="the reminder")
    await eventually(lambda: _sent(fast_shop, case, "ops:team_escalated"), what="the escalation")
    [alert] = await fast_shop.journey_messages(f"{case}:ops:team_escalated")
    assert alert["to"] == "service@example.com" and "needs an agent" in str(alert["subject"])

    async def marked() -> bool:
        desk = (await fast_shop.http.get(f"{sandbox.url}/sandbox/service-desk")).json()
        return any(r["body"]["case_id"] == "order-606" and r["body"]["event"] == "needs_agent" for r in desk)

    await eventually(marked, what="the case marked as needing an agent")
    assert (await case_status(client, case)).state == "needs_agent"


async def test_platform_updates_are_passed_on_and_closing_ends_the_conversation(
    shop: Shop, client: Client
) -> None:
    phone = "+14155550307"
    case = await open_case(shop, 607, phone)
    await shop.refunded(607, refund_id=9, status=14)  # BigCommerce: the refund is also news for the case
    await eventually(lambda: _sent(shop, case, "refund_issued"), what="the refund notice")

    closed = CommerceEvent(
        event_id="close-607",
        platform=Platform.BIGCOMMERCE,
        store=shop.store,
        type=EventType.CASE_CLOSED,
        occurred_at=datetime.now(UTC),
        case=CasePayload(case_id="order-607", kind=CaseKind.CUSTOMER_MESSAGE, order_id="607"),
    )
    await client.get_workflow_handle(case).signal(ServiceCase.commerce_event, closed)
    result = await client.get_workflow_handle(case, result_type=CaseStatus).result()
    assert result.state == "closed"
    assert await _sent(shop, case, "closed")
    late = await reply(shop, phone, "1")
    assert late.json()["handling"] == "unmatched"


async def test_a_push_acknowledgment_reaches_the_platform(
    shop: Shop, client: Client, sandbox: Served
) -> None:
    """Other journeys' acknowledgments travel the same way: a "got it" push action on an order message
    is routed by the message it answers and written into the platform by the same callback."""
    await shop.seed(608, status=11)
    await shop.created(608)
    key = f"{shop.workflow_id(608)}:payment_confirmed"
    await eventually(lambda: _sent_key(shop, key), what="the confirmation")
    answered = await shop.http.post(
        f"{sandbox.url}/sandbox/reply",
        json={"from": "fcm-token-608", "channel": "push", "action": "GOT_IT", "reference": key},
    )
    assert answered.json()["handling"] == "routed"

    async def noted() -> bool:
        writes = (await shop.http.get(f"{sandbox.url}/sandbox/bigcommerce/writes")).json()
        return any(
            "acknowledged the payment_confirmed message by push" in w["body"].get("staff_notes", "")
            for w in writes
            if w.get("store_hash") == shop.store
        )

    await eventually(noted, what="the acknowledgment in the staff notes")


async def _sent_key(shop: Shop, key: str) -> bool:
    return bool(await shop.journey_messages(key))
