"""A send OpenText accepted but whose answer never reached us (the connection dropped, the worker
died) is found by its reference on the retry and recorded, never sent a second time. Over real HTTP:
the sandbox's "accept, then drop" fault cuts a real connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliveryActivities
from activities.rendering import Renderer
from connectors.errors import ProviderError
from connectors.opentext.auth import TokenProvider
from connectors.opentext.client import OUTCOME_SETTLE_SECONDS, OpenTextClient
from connectors.sandbox.app import create_app
from domain.notifications import Channel, MessageStatus
from store.ledger import hash_address
from store.stores import Stores
from tests.conftest import Served, free_port
from tests.test_delivery import request


@pytest.fixture
async def sandbox() -> AsyncIterator[Served]:
    async with Served(create_app(), free_port()) as served:
        yield served


@pytest.fixture
async def calls() -> list[str]:
    """The path of every request the activity makes to OpenText."""
    return []


@pytest.fixture
async def delivery(sandbox: Served, calls: list[str], tmp_path: Path) -> AsyncIterator[DeliveryActivities]:
    async def note(sent: httpx.Request) -> None:
        calls.append(sent.url.path)

    stores = await Stores.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    async with httpx.AsyncClient(timeout=10, event_hooks={"request": [note]}) as http:
        tokens = TokenProvider(http, username="user", password="secret")
        opentext = OpenTextClient(http, f"{sandbox.url}/mra/v1", tokens)
        yield DeliveryActivities(opentext, stores, Renderer(), from_name="Test Shop")
    await stores.close()


async def set_faults(sandbox: Served, **faults: object) -> None:
    async with httpx.AsyncClient() as http:
        (await http.post(f"{sandbox.url}/sandbox/faults", json=faults)).raise_for_status()


async def outbox(sandbox: Served) -> list[dict[str, object]]:
    async with httpx.AsyncClient() as http:
        return list((await http.get(f"{sandbox.url}/sandbox/messages")).json())


@pytest.mark.parametrize(
    ("channel", "address"),
    [(Channel.EMAIL, "ada@example.com"), (Channel.SMS, "+14155550101"), (Channel.PUSH, "device-token-1")],
)
async def test_an_accepted_send_whose_answer_was_dropped_is_recorded_not_repeated(
    delivery: DeliveryActivities, sandbox: Served, channel: Channel, address: str
) -> None:
    message = request(f"k-drop-{channel}", channels=[channel])
    message.recipient.push_token = "device-token-1"
    await set_faults(sandbox, drop_rate=1.0)
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(delivery.send_message, message)
    assert caught.value.type == "OpenTextOutcomeUnknown" and not caught.value.non_retryable  # a retry,
    assert caught.value.next_retry_delay == timedelta(seconds=OUTCOME_SETTLE_SECONDS)  # once it settled,
    [accepted] = await outbox(sandbox)  # ...although OpenText did take the message

    retried = await ActivityEnvironment().run(delivery.send_message, message)  # faults still on

    assert retried.status is MessageStatus.SENT and retried.channel is channel
    assert retried.job_id == accepted["job_id"]
    assert len(await outbox(sandbox)) == 1
    row = await delivery.stores.ledger.get(message.key)
    assert row is not None and row.status == "sent" and row.job_id == accepted["job_id"]
    assert row.address_hash == hash_address(address)


async def test_the_retry_finds_the_job_on_the_channel_the_lost_attempt_used(
    delivery: DeliveryActivities, sandbox: Served
) -> None:
    """The first attempt had no email address and fell through to SMS; by the retry the customer
    has an email address. The retry must find the SMS, not send an email as well."""
    await set_faults(sandbox, drop_rate=1.0)
    with pytest.raises(ApplicationError):
        await ActivityEnvironment().run(delivery.send_message, request("k-drop-fallback", email=None))
    await set_faults(sandbox)

    retried = await ActivityEnvironment().run(delivery.send_message, request("k-drop-fallback"))

    assert retried.channel is Channel.SMS
    [sms] = await outbox(sandbox)
    assert sms["channel"] == "sms" and sms["job_id"] == retried.job_id


async def test_a_claim_left_by_an_attempt_that_died_before_sending_sends_once(
    delivery: DeliveryActivities, sandbox: Served
) -> None:
    message = request("k-died-early")
    assert await delivery.stores.ledger.claim(message) is None  # the attempt that died

    result = await ActivityEnvironment().run(delivery.send_message, message)

    assert result.status is MessageStatus.SENT and result.channel is Channel.EMAIL
    [email] = await outbox(sandbox)
    assert email["job_id"] == result.job_id


async def test_a_first_attempt_asks_no_status_and_a_retry_does(
    delivery: DeliveryActivities, sandbox: Served, calls: list[str]
) -> None:
    await ActivityEnvironment().run(delivery.send_message, request("k-first"))
    assert calls == ["/mra/v1/outbound/emails"]

    calls.clear()
    await delivery.stores.ledger.claim(request("k-second"))  # an attempt that died mid-send
    await ActivityEnvironment().run(delivery.send_message, request("k-second"))
    assert calls == [
        "/mra/v1/outbound/emails/status",
        "/mra/v1/outbound/sms/status",
        "/mra/v1/outbound/emails",
    ]


class StatusCallsFail(httpx.AsyncHTTPTransport):
    """The network between us and OpenText loses every status call; sends get through."""

    async def handle_async_request(self, sent: httpx.Request) -> httpx.Response:
        if sent.url.path.endswith("/status"):
            raise httpx.ConnectError("status call lost", request=sent)
        return await super().handle_async_request(sent)


async def test_a_failing_lookup_sends_nothing(delivery: DeliveryActivities, sandbox: Served) -> None:
    """Unsure whether the earlier attempt went out, the retry must not send blind."""
    message = request("k-unsure")
    await delivery.stores.ledger.claim(message)  # an attempt that died mid-send
    async with httpx.AsyncClient(transport=StatusCallsFail()) as http:
        opentext = OpenTextClient(
            http, f"{sandbox.url}/mra/v1", TokenProvider(http, username="u", password="p")
        )
        delivery.accounts = lambda _name: opentext
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(delivery.send_message, message)
    assert not caught.value.non_retryable
    assert await outbox(sandbox) == []
    row = await delivery.stores.ledger.get(message.key)
    assert row is not None and row.status == "sending"  # still open for the next retry


async def test_the_sandbox_finds_a_job_by_reference_and_says_404_otherwise(sandbox: Served) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, auth=("user", "secret")) as http:
        tokens = TokenProvider(http, username="user", password="secret")
        opentext = OpenTextClient(http, f"{sandbox.url}/mra/v1", tokens)
        job = await opentext.send_sms(to="+14155550101", text="hi", key="k-ref")
        found = await opentext.find_job(Channel.SMS, "k-ref")
        assert found is not None and (found.job_id, found.address) == (job, "+14155550101")
        assert await opentext.find_job(Channel.EMAIL, "k-ref") is None  # another channel
        assert await opentext.find_job(Channel.SMS, "k-other") is None
        bare = await http.get("/mra/v1/outbound/sms/status")
        assert bare.status_code == 400


async def test_a_refused_send_retries_without_waiting_for_an_outcome(
    delivery: DeliveryActivities, sandbox: Served
) -> None:
    """A 503 is OpenText saying no: nothing to wait out before the retry (unlike a lost answer)."""
    await set_faults(sandbox, error_rate=1.0, status_codes=[503])
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(delivery.send_message, request("k-refused"))
    assert caught.value.type == "OpenTextServerError" and caught.value.next_retry_delay is None
    assert await outbox(sandbox) == []


async def test_a_send_that_never_connected_retries_without_waiting(tmp_path: Path) -> None:
    async with httpx.AsyncClient() as http:
        closed = f"http://127.0.0.1:{free_port()}"
        opentext = OpenTextClient(http, f"{closed}/mra/v1", TokenProvider(http, username="u", password="p"))
        stores = await Stores.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        try:
            delivery = DeliveryActivities(opentext, stores, Renderer(), from_name="Test Shop")
            with pytest.raises(ApplicationError) as caught:
                await ActivityEnvironment().run(delivery.send_message, request("k-unreachable"))
        finally:
            await stores.close()
    assert caught.value.type == "OpenTextUnreachable" and caught.value.next_retry_delay is None


async def test_the_sandbox_can_bound_the_faults_one_message_meets(sandbox: Served) -> None:
    await set_faults(sandbox, error_rate=1.0, status_codes=[503], max_faults_per_submit=2)
    async with httpx.AsyncClient() as http:
        opentext = OpenTextClient(
            http, f"{sandbox.url}/mra/v1", TokenProvider(http, username="u", password="p")
        )
        for _ in range(2):
            with pytest.raises(ProviderError) as caught:
                await opentext.send_sms(to="+14155550101", text="hi", key="k-bounded")
            assert caught.value.status == 503
        job = await opentext.send_sms(to="+14155550101", text="hi", key="k-bounded")
        with pytest.raises(ProviderError):  # another message meets its own faults
            await opentext.send_sms(to="+14155550101", text="hi", key="k-other")
    [sms] = await outbox(sandbox)
    assert sms["job_id"] == job and sms["reference"] == "k-bounded"
