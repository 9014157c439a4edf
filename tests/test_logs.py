"""Structured logs: JSON lines naming the journey and the trace, with no phone number or email address
in clear: for single records through our own and Temporal's loggers, and for every line of a full
order journey played through a traced ingress and worker."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.worker import Worker

import worker as worker_module
from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from starter.observability.logs import RedactPersonalData, configure_logging
from starter.observability.redaction import Redactor
from starter.observability.tracing import instrument_app, tracer_provider
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served, free_port
from tests.shop import Shop, eventually
from tests.test_tracing import TracedHttpx, with_tracing
from worker import WORKFLOWS, activity_set

PHONE = "+14155550123"
EMAIL = "grace.hopper@example.com"


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each required to be one JSON object."""
    parsed = []
    for line in stream.getvalue().splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        parsed.append(record)
    return parsed


def test_a_record_becomes_one_json_line_with_personal_data_masked(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(json=True, level="INFO", stream=stream)
    log = logging.getLogger("tidings.test")
    log.info(
        "sms to %s for %s", PHONE, EMAIL, extra={"recipient": {"email": EMAIL, "phone": "(415) 555-0123"}}
    )
    try:
        raise ValueError(f"OpenText refused {PHONE}")
    except ValueError:
        log.exception("send failed for customer %s", EMAIL)
    log.debug("below the level")

    first, second = lines(stream)
    assert first["message"] == "sms to +1415*****23 for g***@example.com"
    assert first["level"] == "INFO" and first["logger"] == "tidings.test" and "time" in first
    assert first["recipient"] == {"email": "g***@example.com", "phone": "415*****23"}
    assert "trace_id" not in first  # no span is current
    assert second["level"] == "ERROR" and "ValueError: OpenText refused +1415*****23" in second["exc_info"]
    assert PHONE not in stream.getvalue() and EMAIL not in stream.getvalue()
    assert "5550123" not in stream.getvalue()


@pytest.mark.parametrize(
    ("logged", "written"),
    [
        ("sms to +14155550101 sent", "sms to +1415*****01 sent"),
        ("call +1 (415) 555-0101.", "call +1415*****01."),
        ("uk customer +44 20 7946 0958", "uk customer +4420******58"),
        ("national (415) 555-0101 or 415.555.0199", "national 415*****01 or 415*****99"),
        (
            "GET /outbox?to=%2B14155550101&to=ada%40example.com",
            "GET /outbox?to=%2B1415*****01&to=a***%40example.com",
        ),
        ("ada@example.com, alan.turing@example.co.uk", "a***@example.com, a***@example.co.uk"),
    ],
)
def test_phone_numbers_and_email_addresses_are_masked(logged: str, written: str) -> None:
    assert Redactor("US")(logged) == written


@pytest.mark.parametrize(
    "logged",
    [
        "order:bigcommerce:s1:1001 shipped 2026-11-23 09:00:00 (2026-11-23T09:00:00+00:00)",
        "cart c0ffee00-0000-4000-8000-00000000ada1 total 2450.00 EUR, job xsi-0000000001",
        "trace 4bf92f3577b34da6a3ce929d0e0e4736 from 127.0.0.1:8025 at 1763888400",
    ],
)
def test_ids_dates_and_amounts_are_left_alone(logged: str) -> None:
    assert Redactor("US")(logged) == logged


def test_arguments_that_do_not_fit_the_format_do_not_raise_into_the_caller() -> None:
    # (pytest's own log handler would raise first, so the filter is called directly)
    record = logging.LogRecord(
        "tidings.test", logging.WARNING, __file__, 1, "texts %s and %s", (PHONE,), None
    )
    assert RedactPersonalData(Redactor("US")).filter(record)
    assert record.getMessage() == "texts %s and %s ('+1415*****23',)"


def test_lines_carry_the_current_trace_and_text_mode_masks_too(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    provider = TracerProvider()
    with provider.get_tracer("test").start_as_current_span("POST /webhooks/bigcommerce") as span:
        logging.getLogger("tidings.ingress").warning("Temporal did not accept the event of %s", EMAIL)
    [line] = lines(stream)
    assert line["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert line["span_id"] == f"{span.get_span_context().span_id:016x}"

    text = io.StringIO()
    configure_logging(json=False, stream=text)
    logging.getLogger("tidings.worker").info(
        "worker polling for %s", PHONE, extra={"workflow_id": "order:x:1"}
    )
    assert text.getvalue().rstrip().endswith("worker polling for +1415*****23 [workflow_id=order:x:1]")
    assert stream.getvalue().count("\n") == 1  # the JSON handler was replaced, not doubled


class AccessLoggedServer(Served):
    """Served, but with uvicorn's access log left to the root handler (`log_config=None`), as
    `tidings ingress` is to run."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="info")
        self.server = uvicorn.Server(config)
        self.task = None


@pytest.fixture
async def traced_stack(
    client: Client,
    settings: Settings,
    sandbox: Served,
    monkeypatch: pytest.MonkeyPatch,
    restore_logging: None,
) -> AsyncIterator[tuple[Served, Client]]:
    """An ingress and a worker as production will wire them (tracing, JSON logs) on a queue of their own."""
    provider = tracer_provider("tidings-test")
    traced = with_tracing(client, provider)
    stack_settings = settings.model_copy(
        update={"task_queue": f"logged-{uuid.uuid4().hex[:8]}", "ingress_port": free_port()}
    )
    monkeypatch.setattr(worker_module, "httpx", TracedHttpx(provider))

    async def traced_client() -> Client:
        return traced

    app = create_ingress(stack_settings, traced_client)
    instrument_app(app, provider)
    async with (
        activity_set(stack_settings) as activities,
        Worker(traced, task_queue=stack_settings.task_queue, workflows=WORKFLOWS, activities=activities),
        AccessLoggedServer(app, stack_settings.ingress_port) as ingress,
    ):
        yield ingress, traced
    provider.shutdown()


async def test_a_full_order_journey_logs_json_with_ids_and_no_personal_data(
    traced_stack: tuple[Served, Client], sandbox: Served, http: httpx.AsyncClient
) -> None:
    ingress, traced = traced_stack
    stream = io.StringIO()
    configure_logging(json=True, level="INFO", stream=stream)
    for name in ("tidings", "temporalio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.access"):  # the session's servers gave them handlers of their own
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True

    shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
    await shop.opt_in(7, "email", "sms", email=EMAIL, phone=PHONE)
    await shop.seed(701, status=11, email=EMAIL, phone=PHONE)
    assert (await shop.created(701)).status_code == 202
    assert (await shop.status_changed(701, 9)).status_code == 202
    assert (await shop.shipped(701)).status_code == 202
    assert (await shop.status_changed(701, 10, previous=2)).status_code == 202
    # a webhook BigCommerce sends twice: the journey ignores the second
    assert (await shop.status_changed(701, 10, previous=2)).status_code == 202

    async def delivered() -> bool:
        return [m["reference"].rsplit(":", 1)[1] for m in await shop.messages(701)][-1:] == ["delivered"]

    await eventually(delivered, what="the delivered message of order 701")
    messages = await shop.messages(701)
    assert {m["to"] for m in messages} <= {PHONE, EMAIL} and len(messages) == 4
    await traced.get_workflow_handle(shop.workflow_id(701)).terminate("journey logged")

    written = stream.getvalue()
    records = lines(stream)

    # Request lines (uvicorn's access log) of this ingress carry their request's trace.
    requests = [
        r
        for r in records
        if r["logger"] == "uvicorn.access" and re.search(r'"(POST|PUT) /(webhooks|customers)/', r["message"])
    ]
    assert len(requests) == 6  # the preferences and five webhooks
    assert all(re.fullmatch(r"[0-9a-f]{32}", r.get("trace_id", "")) for r in requests)
    started_by = requests[1]["trace_id"]  # the first webhook's: it started the journey

    # Lines written in this order's activities (httpx's for the OpenText and BigCommerce calls, the
    # SDK's) name the journey and carry the trace of the request that started it. (Other tests'
    # journeys may run on the session's worker meanwhile: only this order's lines are looked at.)
    wf = shop.workflow_id(701)
    in_activities = [r for r in records if r.get("workflow_id") == wf and "activity_type" in r]
    assert {r["activity_type"] for r in in_activities} >= {"hydrate_order", "send_message"}
    assert all(r["workflow_type"] == "OrderLifecycle" and r.get("run_id") for r in in_activities)
    # (the SDK logs "Starting activity" before any interceptor, so before the span, can see it)
    traced_lines = [r for r in in_activities if r["message"] != "Starting activity"]
    assert traced_lines and all(r.get("trace_id") == started_by for r in traced_lines)
    opentext_calls = [r for r in in_activities if "/mra/v1/outbound/" in r["message"]]
    assert len(opentext_calls) >= len(messages)
    assert {r["activity_type"] for r in opentext_calls} == {"send_message"}
    # Temporal's own lines have the ids as fields; the message is not repeating them.
    assert not any("'workflow_id'" in r["message"] for r in records)

    # At DEBUG the SDK logs activity results, the hydrated order with the customer's addresses in it:
    # after the payload codec, so encrypted (starter/codec.py); no address in clear anywhere.
    for secret in (PHONE, PHONE[1:], EMAIL, EMAIL.replace("@", "%40"), "5550123"):
        assert secret not in written, f"{secret} in the logs"
    logged = [r["message"] for r in records]
    hydrated = [m for m in logged if "Completing activity" in m and "hydrate_order" in m]
    assert hydrated and all("binary/encrypted" in m for m in hydrated)
