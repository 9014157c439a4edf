"""The ingress's answers: 401 for anything not authentic, 400 for malformed input, 200 for scopes we
do not handle, 503 + Retry-After when Temporal cannot take the event, and nothing started on refusal."""

from __future__ import annotations

import json

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from connectors.bigcommerce.simulate import order_webhook, signed_headers
from domain.settings import Settings
from starter.ingress import create_app
from starter.temporal_client import connect
from tests.conftest import WEBHOOK_SECRET, Served, free_port


async def not_started(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return True
    return False


async def test_healthz_and_openapi(http: httpx.AsyncClient, ingress: Served) -> None:
    assert (await http.get(f"{ingress.url}/healthz")).json() == {"status": "ok"}
    spec = (await http.get(f"{ingress.url}/openapi.json")).json()
    assert "/webhooks/bigcommerce" in spec["paths"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "missing"),
        ({"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}, "timestamp"),
        ("wrong-secret", "signature"),
    ],
)
async def test_unauthentic_webhooks_get_401_and_start_nothing(
    http: httpx.AsyncClient, ingress: Served, client: Client, headers: object, expected: str
) -> None:
    payload = order_webhook("unauth", "store/order/created", 9001)
    body = json.dumps(payload).encode()
    sent = signed_headers(body, "not-the-secret") if headers == "wrong-secret" else headers
    assert isinstance(sent, dict)
    r = await http.post(f"{ingress.url}/webhooks/bigcommerce", content=body, headers=sent)
    assert r.status_code == 401
    assert expected in r.json()["error"]
    assert await not_started(client, "order:bigcommerce:unauth:9001")


async def test_tampered_body_is_rejected(http: httpx.AsyncClient, ingress: Served, client: Client) -> None:
    body = json.dumps(order_webhook("tamper", "store/order/created", 9002)).encode()
    headers = signed_headers(body, WEBHOOK_SECRET)
    tampered = body.replace(b"9002", b"9003")
    r = await http.post(f"{ingress.url}/webhooks/bigcommerce", content=tampered, headers=headers)
    assert r.status_code == 401
    assert await not_started(client, "order:bigcommerce:tamper:9003")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "JSON"),
        (
            json.dumps(
                {"scope": "store/order/created", "producer": "stores/x", "created_at": 1, "data": {}}
            ).encode(),
            "id",
        ),
    ],
)
async def test_malformed_payloads_get_400_naming_the_problem(
    http: httpx.AsyncClient, ingress: Served, body: bytes, expected: str
) -> None:
    r = await http.post(
        f"{ingress.url}/webhooks/bigcommerce", content=body, headers=signed_headers(body, WEBHOOK_SECRET)
    )
    assert r.status_code == 400
    assert expected.lower() in r.json()["error"].lower()


async def test_unhandled_scope_is_acknowledged_as_ignored(http: httpx.AsyncClient, ingress: Served) -> None:
    payload = {
        "scope": "store/category/created",
        "store_id": "1",
        "data": {"type": "category", "id": 4},
        "hash": "abc",
        "created_at": 1700000000,
        "producer": "stores/x",
    }
    body = json.dumps(payload).encode()
    r = await http.post(
        f"{ingress.url}/webhooks/bigcommerce", content=body, headers=signed_headers(body, WEBHOOK_SECRET)
    )
    assert r.status_code == 200
    assert r.json()["status"] == "ignored"


async def test_temporal_unreachable_gets_503_with_retry_after(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    dead = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})

    async def lazy_client() -> Client:
        return await connect(dead, lazy=True)

    async with Served(create_app(dead, lazy_client), free_port()) as served:
        body = json.dumps(order_webhook("down", "store/order/created", 9004)).encode()
        r = await http.post(
            f"{served.url}/webhooks/bigcommerce", content=body, headers=signed_headers(body, WEBHOOK_SECRET)
        )
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "30"
    assert "unavailable" in r.json()["error"]
