"""The sandbox's callbacks, over real loopback HTTP: status webhooks after a send and simulated
customer replies, posted to a small stand-in for our ingress that records what it receives.

The stand-in is a test double for our own ingress (this test is about the sandbox); it checks the
secret and parses bodies with the real `connectors.opentext.callbacks` functions.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.errors import WebhookAuthError, WebhookPayloadError
from connectors.opentext import OpenTextClient, PushMessage, TokenProvider
from connectors.opentext.callbacks import (
    DEFAULT_CALLBACK_HEADER,
    parse_inbound,
    parse_status_webhook,
    verify_callback,
)
from connectors.sandbox import create_app
from domain.notifications import Channel, DeliveryState
from tests.conftest import Served, free_port

SECRET = "callback-s3cret"


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeIngress:
    """Records every callback; answers status callbacks from `status_answers` (then 200)."""

    calls: list[Call] = field(default_factory=list)
    status_answers: list[int] = field(default_factory=list)
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        async def record(request: Request) -> Call:
            call = Call(request.url.path, dict(request.headers), await request.body())
            self.calls.append(call)
            verify_callback(request.headers, header_name=DEFAULT_CALLBACK_HEADER, secret=SECRET)
            return call

        @app.exception_handler(WebhookAuthError)
        async def unauthorized(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"error": str(exc)}, status_code=401)

        @app.exception_handler(WebhookPayloadError)
        async def bad_payload(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"error": str(exc)}, status_code=400)

        @app.post("/callbacks/opentext/status")
        async def status(request: Request) -> JSONResponse:
            call = await record(request)
            receipts = parse_status_webhook(call.body)
            code = self.status_answers.pop(0) if self.status_answers else 200
            return JSONResponse({"receipts": len(receipts)}, status_code=code)

        @app.post("/callbacks/opentext/inbound")
        async def inbound(request: Request) -> JSONResponse:
            message = parse_inbound((await record(request)).body)
            return JSONResponse(
                {"accepted": message.provider_message_id, "sender": message.sender}, status_code=202
            )

        return app

    def of(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]


@dataclass
class Sandbox:
    url: str
    http: httpx.AsyncClient
    opentext: OpenTextClient

    async def get(self, path: str) -> Any:
        response = await self.http.get(self.url + path)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def ingress() -> AsyncIterator[FakeIngress]:
    fake = FakeIngress()
    async with Served(fake.app(), free_port()) as served:
        fake.url = served.url
        yield fake


@asynccontextmanager
async def sandbox_at(callback_url: str | None, **options: Any) -> AsyncIterator[Sandbox]:
    app = create_app(callback_url, **options)
    app.state.sandbox.callback_backoff = 0.05  # keep retries quick
    async with Served(app, free_port()) as served, httpx.AsyncClient(timeout=10) as http:
        tokens = TokenProvider(
            http,
            token_url=f"{served.url}/tenants/tidings/oauth2/token",
            client_id="cid",
            client_secret="secret",
        )
        yield Sandbox(served.url, http, OpenTextClient(http, f"{served.url}/mra/v1", tokens))


async def wait_for(check: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


STATUS = "/callbacks/opentext/status"
INBOUND = "/callbacks/opentext/inbound"


async def test_sms_status_callback_arrives_after_the_delay_with_the_secret(ingress: FakeIngress) -> None:
    # A delay well above a loaded machine's send time: the send must answer before the callback.
    async with sandbox_at(ingress.url, callback_secret=SECRET, status_delay=1.5) as sandbox:
        started = time.monotonic()
        job = await sandbox.opentext.send_sms("+15551234567", "Your order has shipped", "order:1042:shipped")
        # The send answered without waiting for the callback.
        assert time.monotonic() - started < 1.5
        assert ingress.of(STATUS) == []
        (record,) = await sandbox.get("/sandbox/messages")
        assert record["status"] == "sent"

        await wait_for(lambda: bool(ingress.of(STATUS)), "the status callback")
        (call,) = ingress.of(STATUS)
        assert call.headers[DEFAULT_CALLBACK_HEADER.lower()] == SECRET
        assert call.headers["content-type"] == "application/json"
        (receipt,) = parse_status_webhook(call.body)
        assert (receipt.job_id, receipt.message_key, receipt.channel, receipt.address, receipt.state) == (
            job,
            "order:1042:shipped",
            Channel.SMS,
            "+15551234567",
            DeliveryState.DELIVERED,
        )

        (record,) = await sandbox.get("/sandbox/messages")
        assert record["status"] == "delivered"
        await wait_for(lambda: _attempts(sandbox, 1), "the attempt's log entry")  # logged once answered
        attempts = await sandbox.get("/sandbox/callbacks")
        assert [(a["kind"], a["job_id"], a["attempt"], a["status_code"]) for a in attempts] == [
            ("status", job, 1, 200)
        ]
        assert attempts[0]["url"] == ingress.url + STATUS
        # Still available by polling, now matching what the webhook said.
        status = await sandbox.opentext.get_status(Channel.SMS, job)
        assert status["deliveries"][0]["delivery_attempts"][0]["state"] == "Sent"


async def test_undeliverable_address_gets_a_failed_receipt(ingress: FakeIngress) -> None:
    async with sandbox_at(ingress.url, callback_secret=SECRET, status_delay=0) as sandbox:
        await sandbox.http.post(f"{sandbox.url}/sandbox/faults", json={"undeliverable": ["+15550000000"]})
        job = await sandbox.opentext.send_sms("+15550000000", "hello?", "k-undeliverable")
        await wait_for(lambda: bool(ingress.of(STATUS)), "the status callback")
        (receipt,) = parse_status_webhook(ingress.of(STATUS)[0].body)
        assert (receipt.job_id, receipt.message_key, receipt.state) == (
            job,
            "k-undeliverable",
            DeliveryState.FAILED,
        )
        assert receipt.detail and "undeliverable" in receipt.detail
        (record,) = await sandbox.get("/sandbox/messages")
        assert record["status"] == "failed"


async def test_email_gets_a_status_callback_and_push_does_not(ingress: FakeIngress) -> None:
    async with sandbox_at(ingress.url, callback_secret=SECRET, status_delay=0) as sandbox:
        await sandbox.opentext.send_push(
            PushMessage(token="device-1", title="Hi", body="There", key="k-push")
        )
        job = await sandbox.opentext.send_email("ana@example.com", "Shipped", "<p>Hi</p>", "Hi", "k-mail")
        await wait_for(lambda: bool(ingress.of(STATUS)), "the status callback")
        await asyncio.sleep(0.1)
        (call,) = ingress.of(STATUS)  # only the email's: OpenText has no push status
        (receipt,) = parse_status_webhook(call.body)
        assert (receipt.job_id, receipt.channel, receipt.message_key, receipt.state) == (
            job,
            Channel.EMAIL,
            "k-mail",
            DeliveryState.DELIVERED,
        )
        push, email = await sandbox.get("/sandbox/messages")
        assert (push["status"], email["status"]) == ("sent", "delivered")


async def test_5xx_is_retried_with_backoff_and_4xx_is_not(ingress: FakeIngress) -> None:
    async with sandbox_at(ingress.url, callback_secret=SECRET, status_delay=0) as sandbox:
        ingress.status_answers = [503, 500]
        job = await sandbox.opentext.send_sms("+1555", "retry me", "k-retry")
        await wait_for(lambda: len(ingress.of(STATUS)) == 3, "three status callback attempts")
        await asyncio.sleep(0.05)
        attempts = await sandbox.get("/sandbox/callbacks")
        assert [(a["job_id"], a["attempt"], a["status_code"]) for a in attempts] == [
            (job, 1, 503),
            (job, 2, 500),
            (job, 3, 200),
        ]

        await sandbox.http.delete(f"{sandbox.url}/sandbox/callbacks")
        ingress.status_answers = [409]
        await sandbox.opentext.send_sms("+1555", "conflict", "k-conflict")
        await wait_for(lambda: len(ingress.of(STATUS)) == 4, "the fourth status callback")
        await asyncio.sleep(0.3)  # a retry would have come by now
        assert [a["status_code"] for a in await sandbox.get("/sandbox/callbacks")] == [409]
        assert len(ingress.of(STATUS)) == 4


async def test_wrong_or_missing_secret_is_refused_by_the_ingress_and_not_retried(
    ingress: FakeIngress,
) -> None:
    async with sandbox_at(ingress.url, callback_secret="not-the-secret", status_delay=0) as sandbox:
        await sandbox.opentext.send_sms("+1555", "hi", "k")
        await wait_for(lambda: bool(ingress.of(STATUS)), "the status callback")
        await asyncio.sleep(0.2)
        assert [a["status_code"] for a in await sandbox.get("/sandbox/callbacks")] == [401]
    async with sandbox_at(ingress.url, status_delay=0) as sandbox:
        response = await sandbox.http.post(f"{sandbox.url}/sandbox/reply", json={"from": "+1", "text": "hi"})
        assert response.status_code == 401
        assert response.json() == {"error": f"missing {DEFAULT_CALLBACK_HEADER} header"}


async def test_unreachable_ingress_is_given_up_after_a_few_attempts() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with sandbox_at(nowhere, callback_secret=SECRET, status_delay=0) as sandbox:
        job = await sandbox.opentext.send_sms("+1555", "hi", "k")
        await wait_for(lambda: _attempts(sandbox, 4), "four failed attempts")  # 0.05 + 0.1 + 0.2 s of backoff
        await asyncio.sleep(0.5)
        attempts = await sandbox.get("/sandbox/callbacks")
        assert [(a["job_id"], a["attempt"], a["status_code"]) for a in attempts] == [
            (job, n, None) for n in (1, 2, 3, 4)
        ]
        assert all("ConnectError" in a["error"] for a in attempts)
        # The message is still delivered as far as OpenText is concerned.
        (record,) = await sandbox.get("/sandbox/messages")
        assert record["status"] == "delivered"


async def _attempts(sandbox: Sandbox, count: int) -> bool:
    return len(await sandbox.get("/sandbox/callbacks")) >= count


async def test_no_callback_url_sends_no_status_callback() -> None:
    async with sandbox_at(None, status_delay=0) as sandbox:
        await sandbox.opentext.send_sms("+1555", "hi", "k")
        await asyncio.sleep(0.1)
        assert await sandbox.get("/sandbox/callbacks") == []
        (record,) = await sandbox.get("/sandbox/messages")
        assert record["status"] == "sent"


# ---- replies ------------------------------------------------------------------------------------


async def test_reply_is_forwarded_stored_and_answered_with_the_ingress_answer(ingress: FakeIngress) -> None:
    async with sandbox_at(ingress.url, callback_secret=SECRET, status_delay=60) as sandbox:
        await sandbox.opentext.send_sms("+14155550101", "Reply STOP to opt out", "k-promo")
        response = await sandbox.http.post(
            f"{sandbox.url}/sandbox/reply",
            json={"from": "+14155550101", "text": "STOP", "reference": "k-promo", "to": "TIDINGS"},
        )
        assert response.status_code == 202
        (call,) = ingress.of(INBOUND)
        assert call.headers[DEFAULT_CALLBACK_HEADER.lower()] == SECRET
        message = parse_inbound(call.body)
        message_id = message.provider_message_id
        assert message_id and re.fullmatch(r"sbx-in-[0-9a-f]{8}-0001", message_id)
        assert response.json() == {"accepted": message_id, "sender": "+14155550101"}
        assert (message.channel, message.sender, message.to, message.text, message.reference) == (
            Channel.SMS,
            "+14155550101",
            "TIDINGS",
            "STOP",
            "k-promo",
        )

        (reply,) = await sandbox.get("/sandbox/replies")
        assert (reply["sender"], reply["text"], reply["callback_status"], reply["message_id"]) == (
            "+14155550101",
            "STOP",
            202,
            message_id,
        )
        assert [
            (a["kind"], a["message_id"], a["status_code"]) for a in await sandbox.get("/sandbox/callbacks")
        ] == [("inbound", message_id, 202)]
        # Replies are not outbound messages: /sandbox/messages is unchanged.
        assert [m["reference"] for m in await sandbox.get("/sandbox/messages")] == ["k-promo"]

        page = (await sandbox.http.get(f"{sandbox.url}/", params={"to": "+14155550101"})).text
        assert page.index("Reply STOP to opt out") < page.index(">STOP<")
        assert 'class="line in"' in page

        push = await sandbox.http.post(
            f"{sandbox.url}/sandbox/reply",
            json={"from": "device-1", "channel": "push", "action": "GOT_IT", "reference": "k-push"},
        )
        assert push.status_code == 202
        pushed = parse_inbound(ingress.of(INBOUND)[-1].body)
        assert (pushed.channel, pushed.action, pushed.text) == (Channel.PUSH, "GOT_IT", "")
        assert pushed.provider_message_id == message_id.replace("-0001", "-0002")
        # A new sandbox (a restart) never reuses an id the ingress may have stored.
        assert create_app().state.sandbox.take_reply_id() != message_id


async def test_reply_bodies_are_validated() -> None:
    async with sandbox_at(None) as sandbox:
        for bad in ({"text": "hi"}, {"from": "+1"}, {"from": "+1", "text": "x", "channel": "fax"}):
            response = await sandbox.http.post(f"{sandbox.url}/sandbox/reply", json=bad)
            assert response.status_code == 422, bad
        assert await sandbox.get("/sandbox/replies") == []


async def test_reply_without_callback_url_or_reachable_ingress_is_502() -> None:
    async with sandbox_at(None) as sandbox:
        response = await sandbox.http.post(
            f"{sandbox.url}/sandbox/reply", json={"from": "+1", "text": "STOP"}
        )
        assert response.status_code == 502
        assert "no callback_url" in response.json()["detail"]
        (reply,) = await sandbox.get("/sandbox/replies")
        assert (reply["callback_status"], reply["callback_error"]) == (None, "no callback_url configured")

    nowhere = f"http://127.0.0.1:{free_port()}"
    async with sandbox_at(nowhere, callback_secret=SECRET) as sandbox:
        response = await sandbox.http.post(
            f"{sandbox.url}/sandbox/reply", json={"from": "+1", "text": "STOP"}
        )
        assert response.status_code == 502
        assert response.json()["detail"].startswith(f"the ingress at {nowhere}{INBOUND} is unreachable")
        assert "not forwarded" in (await sandbox.http.get(f"{sandbox.url}/")).text
