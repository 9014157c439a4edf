"""What anyone with Temporal access reads of a customer: after one BigCommerce order, the histories of
its journeys, fetched without the codec, hold none of the customer's email, phone or name, while the
replay of the same histories with the codec passes. Search attributes (never encrypted: the server
indexes them) hold ids only, in live journeys and across the whole recorded corpus."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from typer.testing import CliRunner

from domain.settings import get_settings
from starter.cli import app
from starter.history import history_files, read_history, recoded
from starter.history_payloads import history_payloads
from tests.codec_test_key import TEST_CODEC, TEST_CONVERTER, TEST_KEYS_FILE
from tests.conftest import WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from worker import WORKFLOWS

EMAIL = "grace.hopper@example.com"
PHONE = "+14155550188"
LAST_NAME = "Lovelace"  # the sandbox order's billing name (tests/shop.py): Ada Lovelace
EMAILISH = re.compile(r"[^@\s]+@[^@\s]+\.\w+")
PHONEISH = re.compile(r"\+\d{8,15}")  # E.164, as Tidings stores phones


@pytest.fixture
def shop(http: httpx.AsyncClient, sandbox: Served, ingress: Served) -> Shop:
    return Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET)


def raw_bytes(history: WorkflowHistory) -> bytes:
    """Everything the server holds: payload bytes as stored, plus the JSON export (failure texts)."""
    return History(events=history.events).SerializeToString() + history.to_json().encode()


def search_attribute_values(history: WorkflowHistory) -> list[str]:
    """Every value any event of `history` set as a search attribute, as text."""
    values: list[str] = []
    for event in history.events:
        for attributes in (
            event.workflow_execution_started_event_attributes.search_attributes,
            event.upsert_workflow_search_attributes_event_attributes.search_attributes,
        ):
            values += [
                p.data.decode()
                for name, p in attributes.indexed_fields.items()
                if name != "TemporalChangeVersion"  # the SDK's: ids of `workflow.patched` calls
            ]
    return values


async def order_histories(client: Client, shop: Shop) -> list[WorkflowHistory]:
    """The histories of every journey of the shop's store, as the server hands them to a client
    that has no codec (the Web UI, `temporal workflow show`, Temporal Cloud support)."""
    plain = Client(client.service_client, namespace=client.namespace, data_converter=pydantic_data_converter)
    ids = [w.id async for w in plain.list_workflows(f"StoreId = '{shop.store}'")]
    return [await plain.get_workflow_handle(i).fetch_history() for i in ids]


async def test_an_orders_histories_without_the_codec_hold_no_customer_data_and_replay_with_it(
    shop: Shop, client: Client
) -> None:
    await shop.seed(401, email=EMAIL, phone=PHONE, customer_id=4401)
    assert (await shop.created(401)).status_code == 202
    assert (await shop.status_changed(401, 9)).status_code == 202

    async def both_messages_sent() -> bool:
        return len(await shop.steps(401)) >= 2

    await eventually(both_messages_sent, timeout=60, what="two messages for order 401")

    async def order_and_customer_journeys() -> bool:
        return len(await order_histories(client, shop)) >= 1

    await eventually(order_and_customer_journeys, timeout=60, what="the order's journeys listed")
    histories = await order_histories(client, shop)
    for history in histories:
        stored = raw_bytes(history)
        for secret in (EMAIL, PHONE, LAST_NAME):
            assert secret.encode() not in stored, f"{secret} in clear in {history.workflow_id}"
        assert not any(EMAILISH.search(v) or PHONEISH.search(v) for v in search_attribute_values(history))
        replayed = await Replayer(workflows=list(WORKFLOWS), data_converter=TEST_CONVERTER).replay_workflow(
            history, raise_on_replay_failure=False
        )
        assert replayed.replay_failure is None, f"{history.workflow_id}: {replayed.replay_failure}"

    # The data is there for whoever holds the key: the order's own history, decoded, names the customer.
    [order] = [h for h in histories if h.workflow_id == shop.workflow_id(401)]
    decoded = b"".join(
        p.data for p in history_payloads(History(events=recoded(order, TEST_CODEC.decrypt).events))
    )
    assert EMAIL.encode() in decoded and LAST_NAME.encode() in decoded


def customer_values(node: Any) -> Iterator[str]:
    """Emails, phones and names of customer-like objects in a decoded payload (and every word of a name)."""
    if isinstance(node, dict):
        if {"email", "phone", "customer_id"} & node.keys():
            for field in ("email", "phone", "name", "first_name", "last_name"):
                value = node.get(field)
                if isinstance(value, str) and value.strip():
                    yield value
                    yield from (word for word in value.split() if len(word) >= 3)
        for child in node.values():
            yield from customer_values(child)
    elif isinstance(node, list):
        for child in node:
            yield from customer_values(child)


def decoded_json(history: WorkflowHistory) -> Iterator[Any]:
    for payload in history_payloads(History(events=recoded(history, TEST_CODEC.decrypt).events)):
        try:
            yield json.loads(payload.data)
        except ValueError:
            continue


CORPUS = history_files([Path(__file__).parent / "histories"])


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_recorded_corpus_is_encrypted_and_its_search_attributes_hold_no_customer_data(path: Path) -> None:
    history = read_history(path)
    personal = {v for payload in decoded_json(history) for v in customer_values(payload)}
    stored = raw_bytes(history)
    assert not any(value.encode() in stored for value in personal if "@" in value or value.startswith("+"))
    for value in search_attribute_values(history):
        assert not EMAILISH.search(value) and not PHONEISH.search(value), f"{value} in a search attribute"
        tokens = set(re.findall(r"[\w.@+-]+", value))
        assert not tokens & personal, f"customer data {value} in a search attribute"


def test_the_corpus_check_finds_customer_data_at_all() -> None:
    """Guards the test above against passing on nothing: the corpus's decoded payloads name customers."""
    found = {
        v for path in CORPUS for payload in decoded_json(read_history(path)) for v in customer_values(payload)
    }
    assert any("@" in v for v in found) and any(v.startswith("+") for v in found)


async def test_export_history_writes_it_encrypted_and_decode_needs_the_key(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await shop.seed(402, email=EMAIL, phone=PHONE, customer_id=4402)
    assert (await shop.created(402)).status_code == 202

    async def confirmed() -> bool:
        return len(await shop.steps(402)) >= 1

    await eventually(confirmed, timeout=60, what="order 402 confirmed")
    workflow_id = shop.workflow_id(402)
    monkeypatch.setenv("TIDINGS_TEMPORAL_ADDRESS", client.service_client.config.target_host)
    monkeypatch.setenv("TIDINGS_ENCRYPTION_KEYS", TEST_KEYS_FILE.read_text())

    async def export(*options: str) -> WorkflowHistory:
        out = tmp_path / (options[0].strip("-") if options else "stored")
        get_settings.cache_clear()
        try:
            args = ["export-history", workflow_id, "--out", str(out), *options]
            result = await asyncio.to_thread(CliRunner().invoke, app, args)
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        [written] = list(out.iterdir())
        return read_history(written)

    stored, decoded = await export(), await export("--decode")
    assert EMAIL.encode() not in raw_bytes(stored)
    assert EMAIL.encode() in b"".join(p.data for p in history_payloads(History(events=decoded.events)))
    # The encrypted export is what the corpus holds: it replays with the key.
    replayed = await Replayer(workflows=list(WORKFLOWS), data_converter=TEST_CONVERTER).replay_workflow(
        stored, raise_on_replay_failure=False
    )
    assert replayed.replay_failure is None
