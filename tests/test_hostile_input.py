"""Hostile input gets a 4xx with a JSON error, never a 5xx, and starts nothing: the cases of the fuzz
report, one by one. 401 comes before any parsing of an unauthenticated body, 413 before anything."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from connectors.bigcommerce.simulate import order_webhook
from connectors.bigcommerce.simulate import signed_headers as bc_signed
from connectors.sap_commerce import simulate as sap
from connectors.sfcc.simulate import body_of, envelope, order_document
from connectors.sfcc.simulate import signed_headers as sfcc_signed
from connectors.webhook import ParsedWebhook
from domain.events import CommerceEvent, EventType, Platform
from domain.settings import Settings
from starter.ingress import _accept, create_app
from starter.unreachable import is_unreachable, refusal
from tests.conftest import (
    API_TOKEN,
    CALLBACK_SECRET,
    SAP_PASSWORD,
    SAP_USER,
    SFCC_SECRET,
    WEBHOOK_SECRET,
    Served,
    free_port,
)
from tests.test_ingress import not_started

BEARER = {"Authorization": f"Bearer {API_TOKEN}"}
DEEP = b"[" * 2500 + b"]" * 2500
LONG_INTEGER = "7" * 5000
WEBHOOKS = ("/webhooks/bigcommerce", "/webhooks/sfcc", "/webhooks/sap-commerce?io=TidingsOrder")
CALLBACKS = ("/callbacks/opentext/status", "/callbacks/opentext/inbound")
API_BODIES = (
    ("POST", "/subscriptions"),
    ("POST", "/campaigns"),
    ("PUT", "/customers/bigcommerce/s1/42/preferences"),
)


@pytest.fixture(scope="module")
def idle(settings: Settings) -> Settings:
    """The test settings with a task queue no worker polls: a journey started by mistake just waits."""
    return settings.model_copy(update={"task_queue": f"idle-{uuid.uuid4().hex[:8]}"})


async def _same(client: Client) -> Client:
    return client


@pytest.fixture(scope="module")
async def hostile(client: Client, idle: Settings) -> AsyncIterator[Served]:
    """The ingress with every production default (1 MiB body limit), on the idle queue."""
    async with Served(create_app(idle, lambda: _same(client)), free_port()) as served:
        yield served


def callback_headers(settings: Settings) -> dict[str, str]:
    return {settings.opentext_callback_header: CALLBACK_SECRET}


def authentic(path: str, body: bytes, settings: Settings) -> dict[str, str]:
    """Credentials each route accepts for `body`."""
    if path.startswith("/webhooks/bigcommerce"):
        return bc_signed(body, WEBHOOK_SECRET)
    if path.startswith("/webhooks/sfcc"):
        return sfcc_signed(body, SFCC_SECRET)
    if path.startswith("/webhooks/sap-commerce"):
        return sap.basic_headers(SAP_USER, SAP_PASSWORD)
    if path.startswith("/callbacks/"):
        return callback_headers(settings)
    return BEARER


async def post_bigcommerce(http: httpx.AsyncClient, base: str, body: bytes) -> httpx.Response:
    return await http.post(
        f"{base}/webhooks/bigcommerce", content=body, headers=bc_signed(body, WEBHOOK_SECRET)
    )


async def post_sfcc(http: httpx.AsyncClient, base: str, body: bytes) -> httpx.Response:
    return await http.post(f"{base}/webhooks/sfcc", content=body, headers=sfcc_signed(body, SFCC_SECRET))


def assert_json_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("error"), str), body
    for word in words:
        assert word in str(body).lower(), body
    return dict(body)


# ---- 500s to hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*WEBHOOKS, *CALLBACKS])
@pytest.mark.parametrize("body", [DEEP, b'{"id": ' + LONG_INTEGER.encode() + b"}", b"\xff\xfe{"])
async def test_unauthenticated_hostile_bodies_get_401(
    http: httpx.AsyncClient, hostile: Served, path: str, body: bytes
) -> None:
    r = await http.post(f"{hostile.url}{path}", content=body)
    assert_json_error(r, 401)


@pytest.mark.parametrize("method_path", API_BODIES, ids=lambda m: m[1])
async def test_api_bodies_are_not_read_without_the_token(
    http: httpx.AsyncClient, hostile: Served, method_path: tuple[str, str]
) -> None:
    method, path = method_path
    r = await http.request(method, f"{hostile.url}{path}", content=DEEP)
    assert_json_error(r, 401)


@pytest.mark.parametrize("path", [*WEBHOOKS, *CALLBACKS, "/subscriptions", "/campaigns"])
async def test_json_nested_2500_deep_is_400(
    http: httpx.AsyncClient, hostile: Served, settings: Settings, path: str
) -> None:
    r = await http.post(f"{hostile.url}{path}", content=DEEP, headers=authentic(path, DEEP, settings))
    assert_json_error(r, 400, "nested deeper than 64")


async def test_a_5000_digit_integer_is_400(http: httpx.AsyncClient, hostile: Served, client: Client) -> None:
    text = json.dumps(order_webhook("hostile", "store/order/created", 1)).replace(
        '"id": 1', '"id": 1' + LONG_INTEGER
    )
    body = text.encode()
    r = await http.post(
        f"{hostile.url}/webhooks/bigcommerce", content=body, headers=bc_signed(body, WEBHOOK_SECRET)
    )
    assert_json_error(r, 400, "number is longer than 100")
    prefs = await http.put(
        f"{hostile.url}/customers/bigcommerce/s1/42/preferences",
        content=b'{"locale": ' + LONG_INTEGER.encode() + b"}",
        headers=BEARER,
    )
    assert_json_error(prefs, 400, "number")


async def test_a_non_utf8_bigcommerce_body_with_any_signature_is_401(
    http: httpx.AsyncClient, hostile: Served
) -> None:
    headers = {
        "webhook-id": "msg_hostile",
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": "v1,AAAA",
    }
    r = await http.post(f"{hostile.url}/webhooks/bigcommerce", content=b"\xc3\x28\xff", headers=headers)
    assert_json_error(r, 401, "signature")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/webhooks/sfcc", {"X-SFCC-Timestamp": "9" * 5000, "X-SFCC-Signature": "v1=00"}),
        (
            "/webhooks/bigcommerce",
            {"webhook-id": "m", "webhook-timestamp": "9" * 5000, "webhook-signature": "v1,AA"},
        ),
    ],
)
async def test_a_5000_digit_timestamp_header_is_401(
    http: httpx.AsyncClient, hostile: Served, path: str, headers: dict[str, str]
) -> None:
    r = await http.post(f"{hostile.url}{path}", content=b"{}", headers=headers)
    assert_json_error(r, 401, "timestamp")


async def test_nan_in_the_preferences_body_is_400(http: httpx.AsyncClient, hostile: Served) -> None:
    url = f"{hostile.url}/customers/bigcommerce/s1/43/preferences"
    for body in (b'{"quiet_hours": {"start": NaN}}', b'{"locale": Infinity}'):
        r = await http.put(url, content=body, headers=BEARER)
        assert_json_error(r, 400, "not a json number")
    assert (await http.get(url, headers=BEARER)).status_code == 404  # nothing was saved


@pytest.mark.parametrize("method_path", API_BODIES, ids=lambda m: m[1])
async def test_a_non_utf8_body_with_a_non_json_content_type_is_400(
    http: httpx.AsyncClient, hostile: Served, method_path: tuple[str, str]
) -> None:
    method, path = method_path
    headers = {**BEARER, "Content-Type": "text/plain; charset=latin-1"}
    r = await http.request(method, f"{hostile.url}{path}", content=b"caf\xe9 \xff", headers=headers)
    assert_json_error(r, 400, "utf-8")


@pytest.fixture(scope="module")
async def small_ingress(client: Client, idle: Settings) -> AsyncIterator[Served]:
    """An ingress that takes bodies of 2 KiB at most."""
    async with Served(
        create_app(idle.model_copy(update={"max_body_bytes": 2048}), lambda: _same(client)), free_port()
    ) as served:
        yield served


async def chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 512):
        yield b" " * 512


@pytest.mark.parametrize(
    ("method", "path"), [("POST", p) for p in (*WEBHOOKS, *CALLBACKS)] + list(API_BODIES)
)
async def test_a_body_over_the_limit_is_413_before_anything_else(
    http: httpx.AsyncClient, small_ingress: Served, method: str, path: str
) -> None:
    url = f"{small_ingress.url}{path}"
    declared = await http.request(method, url, content=b" " * 4096)  # with Content-Length
    assert_json_error(declared, 413, "larger than 2048 bytes")
    streamed = await http.request(method, url, content=chunks(4096))  # chunked, no length
    assert_json_error(streamed, 413)
    within = await http.request(method, url, content=b" " * 1024)
    assert within.status_code in (400, 401)  # read, and refused for what it is


async def test_the_default_limit_is_one_mebibyte(http: httpx.AsyncClient, hostile: Served) -> None:
    r = await http.post(f"{hostile.url}/webhooks/bigcommerce", content=b" " * (1024 * 1024 + 1))
    assert_json_error(r, 413, "larger than 1048576 bytes")


# ---- permanent rejections are not 503 ---------------------------------------------------------------


async def test_a_5000_character_order_id_is_400_naming_it(
    http: httpx.AsyncClient, hostile: Served, client: Client
) -> None:
    code = "A" * 5000
    body = json.dumps(sap.order_document("hostile-sap", code)).encode()
    r = await http.post(
        sap.webhook_url(hostile.url, "TidingsOrder"),
        content=body,
        headers=sap.basic_headers(SAP_USER, SAP_PASSWORD),
    )
    assert assert_json_error(r, 400, "5000 characters")["field"] == "order_id"
    sfcc_body = body_of(envelope("order.created", "hostile-sfcc", order_document("1" * 5000)))
    r = await http.post(
        f"{hostile.url}/webhooks/sfcc", content=sfcc_body, headers=sfcc_signed(sfcc_body, SFCC_SECRET)
    )
    assert_json_error(r, 400)


async def test_a_lone_surrogate_in_an_inbound_from_is_400(
    http: httpx.AsyncClient, hostile: Served, settings: Settings
) -> None:
    payload = {
        "message_id": "hostile-surrogate",
        "channel": "sms",
        "from": "+1415555\ud800",
        "text": "HELP",
        "received_at": "2026-12-01T10:00:00Z",
    }
    body = json.dumps(payload).encode()  # ASCII with a "\ud800" escape, as a sender could write it
    r = await http.post(
        f"{hostile.url}/callbacks/opentext/inbound", content=body, headers=callback_headers(settings)
    )
    assert_json_error(r, 400, "surrogate")


async def test_an_event_of_no_journey_is_a_logged_202(
    client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    orphan = CommerceEvent(
        event_id="orphan-1",
        platform=Platform.BIGCOMMERCE,
        store="hostile",
        type=EventType.ORDER_CREATED,
        occurred_at=datetime.now(UTC),
    )
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(client=client)))
    with caplog.at_level(logging.WARNING, logger="tidings.ingress"):
        answer = await _accept(request, settings, ParsedWebhook(scope="test", events=[orphan]))
    assert answer.status_code == 202
    assert "no journey" in json.loads(bytes(answer.body))["ignored"][0]
    assert "no journey for test event orphan-1" in caplog.text


def test_only_an_unreachable_temporal_is_an_outage() -> None:
    assert is_unreachable(RPCError("down", RPCStatusCode.UNAVAILABLE, b""))
    assert is_unreachable(TimeoutError())
    assert is_unreachable(RuntimeError("Failed client connect: Server connection error"))
    refused = RPCError("WorkflowId length exceeds limit.", RPCStatusCode.INVALID_ARGUMENT, b"")
    assert not is_unreachable(refused) and refusal(refused) is not None
    assert not is_unreachable(ValueError("belongs to no journey"))
    assert refusal(ValueError("x")) is None


# ---- identifiers accepted as-is ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_id", [0, 2**64, -(2**63), "1; DROP TABLE orders", "{{7*7}}", "..", "12\r\n34"], ids=repr
)
async def test_bigcommerce_order_ids_no_store_would_send_are_400(
    http: httpx.AsyncClient, hostile: Served, client: Client, order_id: object
) -> None:
    payload = order_webhook("hostile", "store/order/created", 1)
    payload["data"]["id"] = order_id
    body = json.dumps(payload).encode()
    r = await http.post(
        f"{hostile.url}/webhooks/bigcommerce", content=body, headers=bc_signed(body, WEBHOOK_SECRET)
    )
    assert assert_json_error(r, 400, "positive integer")["field"] == "order_id"
    assert await not_started(client, f"order:bigcommerce:hostile:{order_id}")


async def test_a_crlf_in_an_sfcc_order_number_is_400(
    http: httpx.AsyncClient, hostile: Served, client: Client
) -> None:
    body = body_of(envelope("order.created", "hostile-sfcc", order_document("10\r\n01")))
    r = await post_sfcc(http, hostile.url, body)
    assert_json_error(r, 400)
    assert await not_started(client, "order:sfcc:hostile-sfcc:10\r\n01")


async def test_a_nul_in_a_sku_is_400_naming_it(
    http: httpx.AsyncClient, hostile: Served, client: Client
) -> None:
    body = body_of(envelope("inventory.changed", "hostile-sfcc", {"id": "MUG\x001", "ats": 3}))
    r = await post_sfcc(http, hostile.url, body)
    assert assert_json_error(r, 400)["field"] == "sku"
    assert await not_started(client, "product:sfcc:hostile-sfcc:MUG\x001")


async def test_forty_emoji_as_a_store_are_400_naming_it(
    http: httpx.AsyncClient, hostile: Served, client: Client
) -> None:
    store = "\U0001f600" * 40
    subscription = {
        "platform": "bigcommerce",
        "store": store,
        "customer_id": "7",
        "sku": "501",
        "kind": "back_in_stock",
        "channel": "email",
        "email": "ada@example.com",
    }
    r = await http.post(f"{hostile.url}/subscriptions", json=subscription, headers=BEARER)
    assert assert_json_error(r, 400)["field"] == "store"
    prefs = await http.get(f"{hostile.url}/customers/sfcc/{store}/7/preferences", headers=BEARER)
    assert assert_json_error(prefs, 400)["field"] == "store"
    body = json.dumps(order_webhook(store, "store/order/created", 9)).encode()
    hook = await http.post(
        f"{hostile.url}/webhooks/bigcommerce", content=body, headers=bc_signed(body, WEBHOOK_SECRET)
    )
    assert_json_error(hook, 400, "producer")
    assert await not_started(client, f"product:bigcommerce:{store}:501")


async def test_a_blank_sap_order_code_is_400(http: httpx.AsyncClient, hostile: Served) -> None:
    body = json.dumps(sap.order_document("hostile-sap", "   ")).encode()
    r = await http.post(
        sap.webhook_url(hostile.url, "TidingsOrder"),
        content=body,
        headers=sap.basic_headers(SAP_USER, SAP_PASSWORD),
    )
    assert_json_error(r, 400)


async def test_legitimate_ids_of_every_platform_still_pass(
    http: httpx.AsyncClient, hostile: Served, client: Client
) -> None:
    """The rules are the platforms' own: real-looking ids go through (one order each)."""
    body = json.dumps(order_webhook("demo-store", "store/order/created", 2**63 - 1)).encode()
    r = await http.post(
        f"{hostile.url}/webhooks/bigcommerce", content=body, headers=bc_signed(body, WEBHOOK_SECRET)
    )
    assert r.status_code == 202, r.text
    sfcc_body = body_of(envelope("order.created", "RefArch_US", order_document("00001042")))
    r = await http.post(
        f"{hostile.url}/webhooks/sfcc", content=sfcc_body, headers=sfcc_signed(sfcc_body, SFCC_SECRET)
    )
    assert r.status_code == 202, r.text
    sap_body = json.dumps(sap.order_document("electronics-spa", "ORD.0000-42")).encode()
    r = await http.post(
        sap.webhook_url(hostile.url, "TidingsOrder"),
        content=sap_body,
        headers=sap.basic_headers(SAP_USER, SAP_PASSWORD),
    )
    assert r.status_code == 202, r.text


async def test_moments_no_datetime_holds_are_400(http: httpx.AsyncClient, hostile: Served) -> None:
    """Found by the fuzzing: each was a 500 (OverflowError / OSError / ValueError past year 9999)."""
    payload = order_webhook("hostile", "store/order/created", 1)
    payload["created_at"] = 10**20
    r = await post_bigcommerce(http, hostile.url, json.dumps(payload).encode())
    assert_json_error(r, 400, "created_at")
    card = {"expiration_month": 12, "expiration_year": 10_000, "masked_card_number": "****1111"}
    profile = {"customer_no": "7", "email": "ada@example.com", "payment_instruments": [card]}
    expiring = envelope("customer.payment_method_expiring", "s1", profile)
    r = await post_sfcc(http, hostile.url, body_of(expiring))
    assert_json_error(r, 400, "expiry")
    document = sap.order_document("hostile-sap", "C1")
    document["modifiedtime"] = "/Date(99999999999999999999)/"
    r = await http.post(
        sap.webhook_url(hostile.url, "TidingsOrder"),
        content=json.dumps(document).encode(),
        headers=sap.basic_headers(SAP_USER, SAP_PASSWORD),
    )
    assert_json_error(r, 400, "range of dates")
