"""One trace from a signed webhook to the OpenText call it causes: ingress request → Temporal
signal-with-start → workflow → send_message activity → HTTP POST to OpenText, linked parent to child.

The test builds what the processes will build at start-up (the hooks in worker.py, ingress and
temporal_client.py), with a provider of its own that keeps spans in memory."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.client import Client
from temporalio.worker import Worker

import worker as worker_module
from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from starter.observability.tracing import (
    instrument_app,
    instrument_http_client,
    temporal_interceptors,
    tracer_provider,
)
from tests.conftest import WEBHOOK_SECRET, Served, free_port
from tests.shop import Shop, eventually
from worker import WORKFLOWS, activity_set


class TracedHttpx:
    """Stands in for the `httpx` module inside worker.py: the same names, except that every
    AsyncClient it makes is instrumented, as `activity_set`'s shared client will be in production."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(httpx, name)

    def AsyncClient(self, *args: Any, **kwargs: Any) -> httpx.AsyncClient:
        client = httpx.AsyncClient(*args, **kwargs)
        instrument_http_client(client, self.provider)
        return client


def with_tracing(client: Client, provider: TracerProvider) -> Client:
    """The session's client with the tracing interceptor, as `connect()` will make it."""
    config = client.config()
    config["interceptors"] = temporal_interceptors(provider)
    return Client(**config)


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = tracer_provider("tidings-test", SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def url_of(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    return str(attributes.get("url.full") or attributes.get("http.url") or "")


def ancestry(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The span's name and its ancestors' names, up to the root, following parent links."""
    names = [span.name]
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_one_trace_runs_from_the_webhook_to_the_opentext_call(
    client: Client,
    settings: Settings,
    sandbox: Served,
    http: httpx.AsyncClient,
    spans: tuple[TracerProvider, InMemorySpanExporter],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider, exporter = spans
    traced_settings = settings.model_copy(
        update={"task_queue": f"traced-{uuid.uuid4().hex[:8]}", "ingress_port": free_port()}
    )
    traced = with_tracing(client, provider)
    monkeypatch.setattr(worker_module, "httpx", TracedHttpx(provider))

    async def traced_client() -> Client:
        return traced

    app = create_ingress(traced_settings, traced_client)
    instrument_app(app, provider)

    async with (
        activity_set(traced_settings) as activities,
        # the worker takes the tracing interceptor from its client
        Worker(traced, task_queue=traced_settings.task_queue, workflows=WORKFLOWS, activities=activities),
        Served(app, traced_settings.ingress_port) as ingress,
    ):
        shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET)
        await shop.seed(501, status=11)
        assert (await shop.created(501)).status_code == 202

        async def sent() -> bool:
            return any(s.name == "RunActivity:send_message" for s in exporter.get_finished_spans())

        await eventually(sent, what="the send_message activity's span")
        await traced.get_workflow_handle(shop.workflow_id(501)).terminate("trace recorded")

    finished = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    [request] = [s for s in finished if s.name == "POST /webhooks/bigcommerce" and s.kind is SpanKind.SERVER]
    [opentext_call] = [
        s
        for s in finished
        if s.kind is SpanKind.CLIENT and "/mra/v1/outbound/" in url_of(s) and s.name.startswith("POST")
    ]
    assert opentext_call.context.trace_id == request.context.trace_id

    # Parent links, from the HTTP call up. TracingInterceptor ends workflow spans at once, so
    # StartActivity hangs off the span that started the workflow, next to RunWorkflow.
    assert ancestry(opentext_call, by_id)[1:] == [
        "RunActivity:send_message",
        "StartActivity:send_message",
        "SignalWithStartWorkflow:OrderLifecycle",
        "POST /webhooks/bigcommerce",
    ]
    [run_workflow] = [s for s in finished if s.name == "RunWorkflow:OrderLifecycle"]
    assert ancestry(run_workflow, by_id)[1:] == [
        "SignalWithStartWorkflow:OrderLifecycle",
        "POST /webhooks/bigcommerce",
    ]
    assert (run_workflow.attributes or {}).get("temporalWorkflowID") == shop.workflow_id(501)
    # the order was read from the platform inside the same trace
    assert any(
        s.kind is SpanKind.CLIENT and f"/stores/{shop.store}/v2/orders/501" in url_of(s)
        for s in finished
        if s.context.trace_id == request.context.trace_id
    )


NO_EXPORTER = """
import httpx
from opentelemetry import trace
from starter.observability.tracing import configure_tracing, instrument_http_client

configure_tracing("tidings-worker")
with trace.get_tracer("t").start_as_current_span("work") as span:
    context = span.get_span_context()
    print(span.is_recording(), context.is_valid)
client = httpx.AsyncClient()
before = client._transport
instrument_http_client(client)
print(client._transport is before)
"""


def test_without_an_exporter_spans_keep_their_ids_but_nothing_is_recorded() -> None:
    """A process with nowhere to send spans pays next to nothing: none is recorded and the HTTP client
    is not wrapped, yet trace ids exist for the logs (configure_tracing sets the process's global
    provider, once: hence a process of its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", NO_EXPORTER], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True", "True"]
