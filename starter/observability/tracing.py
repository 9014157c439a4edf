"""One trace from the webhook request through the workflow to the OpenText call.

One tracer provider for three layers: FastAPI's instrumentation (the ingress request, the server
span), Temporal's `TracingInterceptor` (client calls, workflow and activity spans, carried in Temporal
headers), and one client span per request of the worker's shared httpx client (the OpenText and
platform API calls: `_TracedTransport`, a few attributes, not the httpx instrumentation's wrapper,
which cost a quarter of the worker's CPU).

A process configures the global provider once, from the standard `OTEL_*` variables
(`configure_tracing`); tests pass a provider of their own to each function instead, since the global
one can be set only once per process. With neither, every function here does nothing, so a CLI
command that never configured tracing pays nothing for it. With no exporter configured, spans are
created but never recorded (the sampler drops them): their ids still propagate and correlate logs,
and the httpx client is left alone.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import Any

import httpx
import temporalio.client
from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

WORKER_SERVICE = "tidings-worker"
INGRESS_SERVICE = "tidings-ingress"
INSTRUMENTATION_NAME = "tidings"
UNTRACED_PATHS = "/healthz,/metrics"  # probes and scrapes: many, and no journey behind them

_configured: TracerProvider | None = None
_exporting = False  # whether the configured provider sends spans anywhere
# Set inside each activity attempt's task and never reset: the SDK logs the attempt's outcome
# ("Completing activity as failed") after the span has ended, in the same task.
_activity_span: ContextVar[SpanContext | None] = ContextVar("tidings_activity_span", default=None)


def tracer_provider(
    service_name: str, *processors: SpanProcessor, sampler: Sampler | None = None
) -> TracerProvider:
    """An SDK provider for `service_name`, unless `OTEL_SERVICE_NAME` names the service; the other
    resource variables (`OTEL_RESOURCE_ATTRIBUTES`) and, unless `sampler` is given, the sampler
    (`OTEL_TRACES_SAMPLER`) apply."""
    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}), sampler=sampler)
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def configure_tracing(service_name: str) -> TracerProvider | None:
    """Set the process's global provider (once; later calls return the first) before `connect()` and
    `create_app()`. Spans go to OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or its traces variant) is
    set, and nowhere otherwise: the ids still correlate logs and propagate. `OTEL_SDK_DISABLED=true`
    turns tracing off (None)."""
    global _configured, _exporting
    if _configured is not None:
        return _configured
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    processors: list[SpanProcessor] = []
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        # Imported only when used: the exporter pulls in protobuf and requests.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter()))  # endpoint, headers, timeout from env
    _exporting = bool(processors)
    # Nowhere to send spans: record none (ids are still made, so logs correlate and headers carry them).
    _configured = tracer_provider(service_name, *processors, sampler=None if _exporting else ALWAYS_OFF)
    trace.set_tracer_provider(_configured)
    return _configured


def _provider(provider: TracerProvider | None) -> TracerProvider | None:
    return provider if provider is not None else _configured


def temporal_interceptors(provider: TracerProvider | None = None) -> list[temporalio.client.Interceptor]:
    """For `Client.connect(interceptors=...)`. The interceptor is a worker interceptor too, and a
    worker takes its client's, so a worker must not be given it a second time."""
    chosen = _provider(provider)
    if chosen is None:
        return []
    return [_TracingInterceptor(chosen.get_tracer(INSTRUMENTATION_NAME))]


def activity_span_context() -> SpanContext | None:
    """The span of the activity attempt this task runs (or ran), for log lines written around it."""
    return _activity_span.get()


class _TracingInterceptor(TracingInterceptor):
    """Temporal's, remembering each activity attempt's span for the lines the SDK logs after it."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return super().intercept_activity(_RememberActivitySpan(next))


class _RememberActivitySpan(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        _activity_span.set(trace.get_current_span().get_span_context())
        return await super().execute_activity(input)


def instrument_app(app: FastAPI, provider: TracerProvider | None = None) -> None:
    """A server span per request, named after the route (`POST /webhooks/bigcommerce`); before the
    app starts. The ASGI receive/send sub-spans are left out: one span per request is the point."""
    chosen = _provider(provider)
    if chosen is None:
        return
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=chosen, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )


def instrument_http_client(client: httpx.AsyncClient, provider: TracerProvider | None = None) -> None:
    """A client span per request of this shared client (and W3C trace headers on it); nothing when
    the process's provider exports nowhere (the activity's own span is what logs correlate with)."""
    chosen = provider if provider is not None else (_configured if _exporting else None)
    if chosen is None:
        return
    client._transport = _TracedTransport(client._transport, chosen.get_tracer(INSTRUMENTATION_NAME))


class _TracedTransport(httpx.AsyncBaseTransport):
    """One CLIENT span around each request, with the method, URL and status code, and the trace
    context in the request's headers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, tracer: trace.Tracer) -> None:
        self.inner = inner
        self.tracer = tracer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attributes = {"http.request.method": request.method, "url.full": str(request.url)}
        with self.tracer.start_as_current_span(
            request.method, kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            propagate.inject(request.headers)
            response = await self.inner.handle_async_request(request)
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()
