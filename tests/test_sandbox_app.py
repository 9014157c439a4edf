"""The sandbox app, driven in process through the real OpenText client and plain HTTP calls."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from connectors.errors import ProviderError
from connectors.opentext import OpenTextClient, PushMessage, TokenProvider
from connectors.sandbox import create_app
from domain.notifications import Channel

ROOT = "http://sandbox.test"
STORE = "abc123"
BC = {"X-Auth-Token": "any-token"}


@dataclass
class Sandbox:
    app: FastAPI
    http: httpx.AsyncClient
    opentext: OpenTextClient
    tokens: TokenProvider


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ROOT) as http:
        tokens = TokenProvider(
            http, token_url=f"{ROOT}/tenants/tidings/oauth2/token", client_id="cid", client_secret="secret"
        )
        yield Sandbox(app, http, OpenTextClient(http, f"{ROOT}/mra/v1", tokens), tokens)


async def messages(sandbox: Sandbox, **filters: str) -> list[dict[str, Any]]:
    response = await sandbox.http.get("/sandbox/messages", params=filters)
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()
    return result


# ---- OpenText -----------------------------------------------------------------------------------


async def test_sms_email_and_push_arrive_decoded(sandbox: Sandbox) -> None:
    sms_job = await sandbox.opentext.send_sms("+15551234567", "Your order 1042 has shipped", "k-sms")
    email_job = await sandbox.opentext.send_email(
        "ana@example.com",
        "Order 1042 shipped",
        "<p>Hi <b>Ana</b> ✈</p>",
        "Hi Ana ✈",
        "k-email",
        from_name="Tidings Store",
    )
    push_job = await sandbox.opentext.send_push(
        PushMessage(token="device-1", title="Shipped", body="On its way", link="shop://o/1042", key="k-push")
    )
    assert [sms_job, email_job, push_job] == ["xsi-0000000001", "xsi-0000000002", "xsi-0000000003"]

    sms, email, push = await messages(sandbox)
    assert sms["channel"] == "sms"
    assert (sms["to"], sms["text"], sms["reference"], sms["job_id"], sms["status"]) == (
        "+15551234567",
        "Your order 1042 has shipped",
        "k-sms",
        sms_job,
        "sent",
    )
    assert sms["submit_id"] == "k-sms"
    assert sms["received_at"].startswith("20")
    assert email["channel"] == "email"
    assert (email["to"], email["subject"], email["html"], email["body"], email["reference"]) == (
        "ana@example.com",
        "Order 1042 shipped",
        "<p>Hi <b>Ana</b> ✈</p>",
        "Hi Ana ✈",
        "k-email",
    )
    assert email["from_name"] == "Tidings Store"
    assert push["channel"] == "push"
    assert (push["to"], push["title"], push["text"], push["link"], push["reference"]) == (
        "device-1",
        "Shipped",
        "On its way",
        "shop://o/1042",
        "k-push",
    )


async def test_message_filters_and_clear(sandbox: Sandbox) -> None:
    await sandbox.opentext.send_sms("+1555000001", "a", "k1")
    await sandbox.opentext.send_sms("+1555000002", "b", "k2")
    assert [m["text"] for m in await messages(sandbox, to="+1555000002")] == ["b"]
    assert [m["to"] for m in await messages(sandbox, reference="k1")] == ["+1555000001"]
    assert (await sandbox.http.delete("/sandbox/messages")).json() == {"deleted": 2}
    assert await messages(sandbox) == []


async def test_status_documents(sandbox: Sandbox) -> None:
    job = await sandbox.opentext.send_sms("+15551234567", "hi", "k-status")
    status = await sandbox.opentext.get_status(Channel.SMS, job)
    assert status["job_id"] == job
    assert "Complete" in status["job_state"]
    assert base64.b64decode(status["customer_reference_base64"]).decode() == "k-status"
    (delivery,) = status["deliveries"]
    assert delivery["sms"] == "+15551234567"
    assert base64.b64decode(delivery["ref_base64"]).decode() == "k-status"
    assert delivery["delivery_attempts"][0]["state"] == "Sent"
    assert delivery["events"]["sms_delivery_events"][0]["status"] == "Confirmed"

    email_job = await sandbox.opentext.send_email("ana@example.com", "s", None, "t", "k-mail")
    email_status = await sandbox.opentext.get_status(Channel.EMAIL, email_job)
    assert email_status["deliveries"][0]["email"] == "ana@example.com"

    with pytest.raises(ProviderError) as caught:
        await sandbox.opentext.get_status(Channel.EMAIL, job)  # an SMS job is not an email job
    assert caught.value.status == 404


async def test_undeliverable_address_shows_error_in_status(sandbox: Sandbox) -> None:
    await sandbox.http.post("/sandbox/faults", json={"undeliverable": ["+15550000000"]})
    job = await sandbox.opentext.send_sms("+15550000000", "hi", "k")
    (record,) = await messages(sandbox)
    assert record["status"] == "failed"
    status = await sandbox.opentext.get_status(Channel.SMS, job)
    assert status["deliveries"][0]["delivery_attempts"][0]["state"] == "Error"


async def test_bad_shapes_are_400_with_a_json_error(sandbox: Sandbox) -> None:
    auth = {"Authorization": await sandbox.tokens.authorization()}
    bad = [
        ("/mra/v1/outbound/sms", {"destinations": [], "sms_text": "x"}),
        ("/mra/v1/outbound/sms", {"destinations": [{"sms": "+1"}]}),
        (
            "/mra/v1/outbound/emails",
            {"destinations": [{"email": "a@b.c"}], "body": [{"type": "text", "data": "%%"}]},
        ),
        (
            "/mra/v1/utils/parser",
            {"domain": "MR", "filename": "f.json", "data": base64.b64encode(b"{}").decode()},
        ),
        ("/mra/v1/utils/parser", {"domain": "XX", "filename": "f.json", "data": ""}),
    ]
    for path, body in bad:
        response = await sandbox.http.post(path, json=body, headers=auth)
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["error"]["message"]
    not_json = await sandbox.http.post("/mra/v1/outbound/sms", content=b"{", headers=auth)
    assert not_json.status_code == 400
    assert await messages(sandbox) == []
    # Rejected submits take no job id.
    assert await sandbox.opentext.send_sms("+1", "ok", "k") == "xsi-0000000001"


async def test_api_needs_a_token_it_issued_or_basic(sandbox: Sandbox) -> None:
    body = {"destinations": [{"sms": "+1"}], "sms_text": "x"}
    assert (await sandbox.http.post("/mra/v1/outbound/sms", json=body)).status_code == 401
    forged = {"Authorization": "Bearer not-issued"}
    assert (await sandbox.http.post("/mra/v1/outbound/sms", json=body, headers=forged)).status_code == 401
    basic = OpenTextClient(
        sandbox.http, f"{ROOT}/mra/v1", TokenProvider(sandbox.http, username="u", password="p")
    )
    assert await basic.send_sms("+1", "x", "k")


async def test_token_endpoint_shape(sandbox: Sandbox) -> None:
    response = await sandbox.http.post(
        "/tenants/acme/oauth2/token", data={"grant_type": "client_credentials"}, auth=("id", "secret")
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    no_client = await sandbox.http.post(
        "/tenants/acme/oauth2/token", data={"grant_type": "client_credentials"}
    )
    assert no_client.status_code == 401
    wrong_grant = await sandbox.http.post(
        "/tenants/acme/oauth2/token", data={"grant_type": "password"}, auth=("i", "s")
    )
    assert wrong_grant.status_code == 400


async def test_revoked_token_is_refreshed_by_the_client(sandbox: Sandbox) -> None:
    await sandbox.opentext.send_sms("+1", "before", "k1")
    assert (await sandbox.http.delete("/sandbox/tokens")).json() == {"revoked": 1}
    await sandbox.opentext.send_sms("+1", "after", "k2")
    assert [m["text"] for m in await messages(sandbox)] == ["before", "after"]


async def test_faults_fail_some_sends_with_429_and_store_none_of_them(sandbox: Sandbox) -> None:
    faults = {"error_rate": 0.5, "status_codes": [429], "retry_after": 2, "seed": 7}
    response = await sandbox.http.post("/sandbox/faults", json=faults)
    assert response.status_code == 200
    assert (await sandbox.http.get("/sandbox/faults")).json()["error_rate"] == 0.5

    sent, throttled = [], []
    for i in range(20):
        try:
            await sandbox.opentext.send_sms("+15551234567", f"m{i}", f"k{i}")
            sent.append(f"k{i}")
        except ProviderError as error:
            assert (error.status, error.transient, error.retry_after) == (429, True, 2.0)
            throttled.append(f"k{i}")
    assert sent and throttled
    assert [m["reference"] for m in await messages(sandbox)] == sent

    # The same seed gives the same failures: tests relying on faults are repeatable.
    await sandbox.http.delete("/sandbox/messages")
    await sandbox.http.post("/sandbox/faults", json=faults)
    again = []
    for i in range(20):
        try:
            await sandbox.opentext.send_sms("+15551234567", f"m{i}", f"k{i}")
            again.append(f"k{i}")
        except ProviderError:
            pass
    assert again == sent

    await sandbox.http.post("/sandbox/faults", json={})
    assert await sandbox.opentext.send_sms("+1", "ok", "k-ok")


async def test_hang_fault_answers_504_after_the_hang_and_stores_nothing(sandbox: Sandbox) -> None:
    await sandbox.http.post("/sandbox/faults", json={"timeout_rate": 1.0, "hang_seconds": 0, "latency_ms": 1})
    with pytest.raises(ProviderError) as caught:
        await sandbox.opentext.send_email("ana@example.com", "s", None, "t", "k")
    assert (caught.value.status, caught.value.transient) == (504, True)
    assert await messages(sandbox) == []


async def test_fault_config_is_validated(sandbox: Sandbox) -> None:
    assert (await sandbox.http.post("/sandbox/faults", json={"error_rate": 2})).status_code == 422
    assert (await sandbox.http.post("/sandbox/faults", json={"status_codes": [200]})).status_code == 422


# ---- BigCommerce --------------------------------------------------------------------------------


ORDER = {
    "id": 1042,
    "customer_id": 7,
    "status_id": 11,
    "status": "Awaiting Fulfillment",
    "date_created": "Tue, 05 Mar 2024 10:00:00 +0000",
    "total_inc_tax": "129.9000",
    "currency_code": "EUR",
    "billing_address": {
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "ana@example.com",
        "phone": "+351912345678",
        "city": "Lisboa",
        "country_iso2": "PT",
    },
    "products": [{"id": 1, "order_id": 1042, "name": "Linen shirt", "sku": "LS-1", "quantity": 2}],
    "shipping_addresses": [{"id": 5, "order_id": 1042, "city": "Porto", "country_iso2": "PT"}],
}


async def seed(sandbox: Sandbox, order: dict[str, Any] = ORDER, order_id: str = "1042") -> None:
    response = await sandbox.http.put(f"/sandbox/bigcommerce/{STORE}/orders/{order_id}", json=order)
    assert response.status_code == 200, response.text


async def test_seeded_order_reads(sandbox: Sandbox) -> None:
    await seed(sandbox)
    order = (await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042", headers=BC)).json()
    assert order["id"] == 1042
    assert order["billing_address"]["email"] == "ana@example.com"
    assert order["shipping_address_count"] == 1
    assert order["products"]["resource"] == "/orders/1042/products"

    products = await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042/products", headers=BC)
    assert [p["sku"] for p in products.json()] == ["LS-1"]
    addresses = await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042/shipping_addresses", headers=BC)
    assert addresses.json()[0]["city"] == "Porto"
    shipments = await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042/shipments", headers=BC)
    assert shipments.status_code == 204 and shipments.content == b""

    created = await sandbox.http.post(
        f"/sandbox/bigcommerce/{STORE}/orders/1042/shipments",
        json={
            "tracking_number": "1Z999",
            "tracking_carrier": "ups",
            "tracking_link": "https://ups.example/1Z999",
        },
    )
    assert created.status_code == 201 and created.json()["id"] == 1
    shipments = await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042/shipments", headers=BC)
    assert [(s["id"], s["order_id"], s["tracking_number"]) for s in shipments.json()] == [(1, 1042, "1Z999")]


async def test_customers_v3(sandbox: Sandbox) -> None:
    await seed(sandbox)
    await sandbox.http.put(f"/sandbox/bigcommerce/{STORE}/customers/9", json={"email": "bo@example.com"})
    response = await sandbox.http.get(
        f"/stores/{STORE}/v3/customers", params={"id:in": "7,9,404"}, headers=BC
    )
    body = response.json()
    assert [(c["id"], c["email"]) for c in body["data"]] == [(7, "ana@example.com"), (9, "bo@example.com")]
    assert body["meta"]["pagination"]["total"] == 2
    assert (await sandbox.http.get(f"/stores/{STORE}/v3/customers")).status_code == 401


async def test_order_update_is_merged_and_recorded(sandbox: Sandbox) -> None:
    await seed(sandbox)
    response = await sandbox.http.put(
        f"/stores/{STORE}/v2/orders/1042", json={"staff_notes": "SMS sent", "status_id": 2}, headers=BC
    )
    assert response.status_code == 200
    order = (await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042", headers=BC)).json()
    assert (order["staff_notes"], order["status_id"], order["status"]) == ("SMS sent", 2, "Shipped")
    assert order["billing_address"]["email"] == "ana@example.com"
    writes = (await sandbox.http.get("/sandbox/bigcommerce/writes")).json()
    assert [(w["method"], w["order_id"], w["body"]) for w in writes] == [
        ("PUT", "1042", {"staff_notes": "SMS sent", "status_id": 2})
    ]


async def test_unknown_order_and_missing_token(sandbox: Sandbox) -> None:
    await seed(sandbox)
    for path in ("/v2/orders/9999", "/v2/orders/9999/products", "/v2/orders/9999/shipments"):
        response = await sandbox.http.get(f"/stores/{STORE}{path}", headers=BC)
        assert response.status_code == 404
        assert response.json() == [{"status": 404, "message": "The requested resource was not found."}]
    other_store = await sandbox.http.get("/stores/other/v2/orders/1042", headers=BC)
    assert other_store.status_code == 404
    assert (await sandbox.http.put(f"/stores/{STORE}/v2/orders/9999", json={}, headers=BC)).status_code == 404
    assert (await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042")).status_code == 401
    empty = {"X-Auth-Token": " "}
    assert (await sandbox.http.get(f"/stores/{STORE}/v2/orders/1042", headers=empty)).status_code == 401


# ---- outbox page and health ---------------------------------------------------------------------


async def test_outbox_lists_messages_newest_first_and_escapes_html(sandbox: Sandbox) -> None:
    await sandbox.opentext.send_sms("+15551234567", "<script>alert('x')</script> & more", "k1")
    await sandbox.opentext.send_email(
        "ana@example.com", "Your <order>", '<p class="x">Hello "Ana"</p>', "Hello Ana", "k2"
    )
    await sandbox.opentext.send_push(
        PushMessage(token="dev-1", title="Shipped", body="Tap", link="javascript:alert(1)", key="k3")
    )
    response = await sandbox.http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in page
    assert "<script>alert" not in page
    assert "Your &lt;order&gt;" in page
    assert 'srcdoc="&lt;p class=&#34;x&#34;&gt;Hello &#34;Ana&#34;&lt;/p&gt;"' in page
    assert "<iframe sandbox" in page
    assert 'href="javascript:' not in page
    assert page.index("dev-1") < page.index("ana@example.com") < page.index("+15551234567")

    filtered = (await sandbox.http.get("/", params={"to": "ana@example.com"})).text
    assert "ana@example.com" in filtered and "+15551234567" not in filtered


async def test_outbox_empty_and_healthz(sandbox: Sandbox) -> None:
    assert "No messages" in (await sandbox.http.get("/")).text
    assert (await sandbox.http.get("/healthz")).json() == {"status": "ok"}
