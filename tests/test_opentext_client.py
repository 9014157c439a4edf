"""The OpenText client against httpx.MockTransport standing in for OpenText."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from connectors.errors import ProviderError
from connectors.opentext import OpenTextClient, PushMessage, TokenProvider
from connectors.opentext.auth import error_kind
from connectors.opentext.client import OUTCOME_SETTLE_SECONDS
from connectors.opentext.payloads import email_body, push_request, sms_body
from domain.notifications import Channel
from domain.settings import Settings

BASE = "https://ot.test/mra/v1"
TOKEN_URL = "https://ot.test/tenants/acme/oauth2/token"

Answer = Callable[[httpx.Request], httpx.Response]


class FakeOpenText:
    """Records every request; answers tokens itself and API calls from a per-path script."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0
        self.scripts: dict[str, list[Answer]] = {}

    def script(self, path: str, *answers: Answer) -> None:
        self.scripts.setdefault(path, []).extend(answers)

    def api_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/mra/")]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/oauth2/token"):
            self.tokens_issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{self.tokens_issued}",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        queue = self.scripts.get(request.url.path)
        if queue:
            return queue.pop(0)(request)
        return httpx.Response(200, json={"job_id": "xsi-1111111111"})


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body if body is not None else {"error": "x"}, headers=headers)

    return answer


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("read timed out", request=request)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(fake: FakeOpenText, clock: Clock | None = None) -> tuple[OpenTextClient, TokenProvider]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    tokens = TokenProvider(
        http, token_url=TOKEN_URL, client_id="cid", client_secret="s3cret", clock=clock or Clock()
    )
    return OpenTextClient(http, BASE, tokens), tokens


def decoded(data: str) -> str:
    return base64.b64decode(data).decode("utf-8")


# ---- auth ---------------------------------------------------------------------------------------


async def test_token_is_fetched_with_client_credentials_and_cached() -> None:
    fake = FakeOpenText()
    client, _ = make(fake)
    await client.send_sms("+15551234567", "one", "k1")
    await client.send_sms("+15551234567", "two", "k2")

    token_requests = [r for r in fake.requests if r.url.path.endswith("/oauth2/token")]
    assert len(token_requests) == 1
    token_request = token_requests[0]
    assert token_request.method == "POST"
    assert str(token_request.url) == TOKEN_URL
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:s3cret").decode()
    assert [r.headers["Authorization"] for r in fake.api_calls()] == ["Bearer tok-1", "Bearer tok-1"]


async def test_token_refreshed_60s_before_expiry() -> None:
    fake = FakeOpenText()
    clock = Clock()
    _, tokens = make(fake, clock)
    assert await tokens.authorization() == "Bearer tok-1"
    clock.now += 3600 - 61
    assert await tokens.authorization() == "Bearer tok-1"
    clock.now += 1
    assert await tokens.authorization() == "Bearer tok-2"


async def test_concurrent_callers_share_one_refresh() -> None:
    fake = FakeOpenText()
    _, tokens = make(fake)
    values = await asyncio.gather(*(tokens.authorization() for _ in range(10)))
    assert set(values) == {"Bearer tok-1"}
    assert fake.tokens_issued == 1


async def test_invalidate_keeps_a_token_newer_than_the_rejected_one() -> None:
    fake = FakeOpenText()
    _, tokens = make(fake)
    first = await tokens.authorization()
    tokens.invalidate(first)
    second = await tokens.authorization()
    tokens.invalidate(first)  # a late 401 for the old token must not throw away the new one
    assert await tokens.authorization() == second == "Bearer tok-2"


async def test_basic_auth_alternative_fetches_no_token() -> None:
    fake = FakeOpenText()
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    client = OpenTextClient(http, BASE, TokenProvider(http, username="acct", password="pw"))
    await client.send_sms("+15551234567", "hi", "k1")
    assert fake.tokens_issued == 0
    assert fake.api_calls()[0].headers["Authorization"] == "Basic " + base64.b64encode(b"acct:pw").decode()


async def test_from_settings_picks_basic_when_a_username_is_set() -> None:
    # _env_file=None: a developer's .env must not change what this test sees.
    oauth_settings = Settings(_env_file=None)  # type: ignore[call-arg]
    basic_settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        opentext_username="u",
        opentext_password=SecretStr("p"),
    )
    async with httpx.AsyncClient() as http:
        oauth = OpenTextClient.from_settings(http, oauth_settings)
        basic = OpenTextClient.from_settings(http, basic_settings)
    assert not oauth._tokens.uses_basic
    assert basic._tokens.uses_basic


# ---- bodies -------------------------------------------------------------------------------------


async def test_sms_body_and_submit_id() -> None:
    fake = FakeOpenText()
    client, _ = make(fake)
    job_id = await client.send_sms("+15551234567", "Your order 1042 has shipped", "order:bc:s:1042:shipped")

    assert job_id == "xsi-1111111111"
    call = fake.api_calls()[0]
    assert call.method == "POST"
    assert call.url.path == "/mra/v1/outbound/sms"
    assert call.headers["X-MRA-SubmitId"] == "order:bc:s:1042:shipped"
    assert json.loads(call.content) == {
        "destinations": [{"sms": "+15551234567", "ref": "order:bc:s:1042:shipped"}],
        "sms_text": "Your order 1042 has shipped",
        "options": {"customer_reference": "order:bc:s:1042:shipped", "message_id": "order:bc:s:1042:shipped"},
    }


async def test_email_body_has_base64_text_and_html_parts() -> None:
    fake = FakeOpenText()
    client, _ = make(fake)
    await client.send_email(
        "ana@example.com",
        "Order 1042 shipped ✈",
        "<p>Hi Ana, <b>shipped</b></p>",
        "Hi Ana, shipped",
        "k-email",
        display_to="Ana Lima",
        from_name="Tidings Store",
    )
    call = fake.api_calls()[0]
    assert call.url.path == "/mra/v1/outbound/emails"
    assert call.headers["X-MRA-SubmitId"] == "k-email"
    body = json.loads(call.content)
    assert body["destinations"] == [{"email": "ana@example.com", "ref": "k-email", "display_to": "Ana Lima"}]
    parts = {part["type"]: part for part in body["body"]}
    assert set(parts) == {"text", "html"}
    assert decoded(parts["text"]["data"]) == "Hi Ana, shipped"
    assert decoded(parts["html"]["data"]) == "<p>Hi Ana, <b>shipped</b></p>"
    assert all(part["charset"] == "utf-8" for part in body["body"])
    assert body["options"]["customer_reference"] == "k-email"
    assert body["options"]["email_options"]["subject"] == "Order 1042 shipped ✈"
    assert body["options"]["email_options"]["from_display_name"] == "Tidings Store"


def test_email_body_without_html_has_only_the_text_part() -> None:
    body = email_body("a@example.com", None, "s", None, "plain", "k", None)
    assert [part["type"] for part in body["body"]] == ["text"]
    assert "display_to" not in body["destinations"][0]
    assert "from_display_name" not in body["options"]["email_options"]


async def test_push_goes_through_the_parser_with_a_base64_request_file() -> None:
    fake = FakeOpenText()
    client, _ = make(fake)
    message = PushMessage(
        token="fcm-device-1",
        title="Shipped",
        body="Order 1042 is on its way",
        image="https://cdn.example/p.png",
        link="shop://orders/1042",
        data={"order_id": "1042"},
        collapse_key="order-1042",
        ttl_seconds=3600,
        key="order:bc:s:1042:shipped",
    )
    await client.send_push(message)
    call = fake.api_calls()[0]
    assert call.url.path == "/mra/v1/utils/parser"
    assert call.headers["X-MRA-SubmitId"] == "order:bc:s:1042:shipped"
    envelope = json.loads(call.content)
    assert envelope["domain"] == "MR"
    assert envelope["filename"] == "push-order_bc_s_1042_shipped.json"
    request_file = json.loads(decoded(envelope["data"]))
    assert request_file == {
        "customer_reference": "order:bc:s:1042:shipped",
        "message": {
            "token": "fcm-device-1",
            "notification": {
                "title": "Shipped",
                "body": "Order 1042 is on its way",
                "image": "https://cdn.example/p.png",
            },
            "data": {"order_id": "1042"},
            "link": "shop://orders/1042",
            "collapse_key": "order-1042",
            "ttl": 3600,
        },
    }


def test_pure_bodies_match_what_the_client_sends() -> None:
    assert sms_body("+1", "t", "k")["options"]["message_id"] == "k"
    minimal = push_request(PushMessage(token="t", title="a", body="b", key="k"))
    assert json.loads(decoded(minimal["data"]))["message"] == {
        "token": "t",
        "notification": {"title": "a", "body": "b"},
    }


async def test_status_calls() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms/status", reply(200, {"job_id": "xsi-1", "job_state": ["Complete"]}))
    client, _ = make(fake)
    status = await client.get_status(Channel.SMS, "xsi-1")
    assert status["job_state"] == ["Complete"]
    await client.get_status(Channel.EMAIL, "xsi-2")
    calls = fake.api_calls()
    assert [(c.method, c.url.path, c.url.params["job_id"]) for c in calls] == [
        ("GET", "/mra/v1/outbound/sms/status", "xsi-1"),
        ("GET", "/mra/v1/outbound/emails/status", "xsi-2"),
    ]
    with pytest.raises(ValueError):
        await client.get_status(Channel.PUSH, "xsi-3")


# ---- errors -------------------------------------------------------------------------------------


async def test_429_is_transient_with_retry_after() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms", reply(429, headers={"Retry-After": "7"}))
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.send_sms("+15551234567", "hi", "k")
    error = caught.value
    assert (error.transient, error.status, error.retry_after, error.kind) == (
        True,
        429,
        7.0,
        error_kind("Throttled"),
    )
    assert len(fake.api_calls()) == 1  # retrying is the activity's job, not the client's


async def test_400_is_permanent() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/emails", reply(400, {"error": "bad address"}))
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.send_email("nobody", "s", None, "t", "k")
    assert caught.value.transient is False
    assert caught.value.status == 400


async def test_503_is_transient() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms", reply(503))
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.send_sms("+1", "t", "k")
    assert caught.value.transient is True


async def test_401_refreshes_the_token_and_retries_once() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms", reply(401))
    client, _ = make(fake)
    assert await client.send_sms("+15551234567", "hi", "k") == "xsi-1111111111"
    assert fake.tokens_issued == 2
    assert [r.headers["Authorization"] for r in fake.api_calls()] == ["Bearer tok-1", "Bearer tok-2"]


async def test_persistent_401_is_permanent_after_one_retry() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms", reply(401), reply(401), reply(401))
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.send_sms("+1", "t", "k")
    assert (caught.value.status, caught.value.transient) == (401, False)
    assert len(fake.api_calls()) == 2


async def test_a_send_timing_out_is_transient_with_an_unknown_outcome() -> None:
    """OpenText may have accepted it: the retry waits for that to settle, then looks it up."""
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms", timeout)
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.send_sms("+1", "t", "k")
    assert caught.value.transient is True
    assert caught.value.kind == error_kind("OutcomeUnknown")
    assert caught.value.retry_after == OUTCOME_SETTLE_SECONDS


async def test_a_status_call_timing_out_is_transient() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms/status", timeout)
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.find_job(Channel.SMS, "k")
    assert caught.value.transient is True
    assert caught.value.kind == error_kind("Unreachable") and caught.value.retry_after is None


async def test_token_endpoint_failure_is_classified() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    tokens = TokenProvider(http, token_url=TOKEN_URL, client_id="cid", client_secret="wrong")
    with pytest.raises(ProviderError) as caught:
        await tokens.authorization()
    assert (caught.value.status, caught.value.transient) == (401, False)


async def test_success_without_job_id_is_a_permanent_bad_response() -> None:
    fake = FakeOpenText()
    fake.script("/mra/v1/outbound/sms", reply(200, {"status": "ok"}))
    client, _ = make(fake)
    with pytest.raises(ProviderError) as caught:
        await client.send_sms("+1", "t", "k")
    assert (caught.value.kind, caught.value.transient) == (error_kind("BadResponse"), False)
