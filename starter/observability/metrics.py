"""Metrics for Prometheus: the worker's from Temporal's runtime, the ingress's from prometheus-client.

Worker: Temporal's core SDK serves its own metrics (`temporal_workflow_completed`,
`temporal_activity_execution_latency`, `temporal_request`, poller and slot gauges …) on the endpoint of
`prometheus_runtime`; `MessageMetrics` adds `tidings_messages` there, the outcome of every message
by journey, channel and status. Ingress: `instrument_metrics` counts requests by route and status,
times them, and serves `GET /metrics` on the app itself.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio import activity
from temporalio.common import MetricCounter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from domain.notifications import MessageRequest, MessageResult

log = logging.getLogger("tidings.metrics")

DEFAULT_BIND_ADDRESS = "0.0.0.0:9464"  # the port OpenTelemetry's Prometheus exporter uses by convention
METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"  # one label for every path no route knows: scanners must not add series
# Webhook answers wait on Temporal: most take milliseconds, a struggling cluster seconds (deadline 10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def prometheus_runtime(bind_address: str = DEFAULT_BIND_ADDRESS) -> Runtime:
    """A Temporal runtime whose clients and workers serve their metrics at
    `http://{bind_address}/metrics`. One per process: the default (`serve_temporal_metrics`), or given
    to `Client.connect(runtime=...)`. Raises ValueError when the address cannot be bound."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


def serve_temporal_metrics(bind_address: str = DEFAULT_BIND_ADDRESS) -> Runtime | None:
    """Make `prometheus_runtime(bind_address)` the process's default runtime: call it before the first
    `connect()`. A port already taken costs the metrics, not the worker (None, and a warning)."""
    try:
        runtime = prometheus_runtime(bind_address)
    except ValueError as exc:  # the core SDK's way of saying the address is in use
        log.warning("no Temporal metrics endpoint on %s: %s", bind_address, exc)
        return None
    Runtime.set_default(runtime)
    return runtime


class MessageMetrics(Interceptor):
    """Counts `send_message` outcomes as `tidings_messages{journey, channel, status}` on the worker's
    Temporal metrics (its endpoint, its namespace/task queue labels). For `Worker(interceptors=...)`."""

    def __init__(self) -> None:
        # One instrument per task queue, made on first use: the activity's meter carries its labels.
        self._counters: dict[tuple[str, str], MetricCounter] = {}

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountMessages(next, self)

    def counter(self) -> MetricCounter:
        info = activity.info()
        key = (info.namespace, info.task_queue)
        if key not in self._counters:
            self._counters[key] = activity.metric_meter().create_counter(
                "tidings_messages", "Messages handled by send_message, by journey, channel and outcome"
            )
        return self._counters[key]


class _CountMessages(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, root: MessageMetrics) -> None:
        super().__init__(next)
        self.root = root

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        if isinstance(result, MessageResult):
            request = input.args[0] if input.args and isinstance(input.args[0], MessageRequest) else None
            self.root.counter().add(
                1,
                {
                    "journey": request.journey if request else "unknown",
                    "channel": result.channel.value if result.channel else "none",
                    "status": result.status.value,
                },
            )
        return result


class _RequestMetrics:
    """Pure ASGI (no per-request task or body buffering, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before starting a response

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = _route_template(scope)
            if route != METRICS_PATH:
                method = scope["method"]
                self.requests.labels(method, route, str(status)).inc()
                self.latency.labels(method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """`/customers/{platform}/{store}/{customer_id}/preferences`, not the ids: bounded label values.
    The router leaves the matched route in the scope."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


def instrument_metrics(app: FastAPI, registry: CollectorRegistry | None = None) -> CollectorRegistry:
    """Add `tidings_ingress_requests_total{method, route, status}` and
    `tidings_ingress_request_duration_seconds{method, route}` to `app`, served at `GET /metrics`
    (not counted itself). A registry per app, so several apps can live in one process (tests)."""
    existing: CollectorRegistry | None = getattr(app.state, "metrics_registry", None)
    if existing is not None:  # instrumented already (create_app does it): once is enough
        return existing
    registry = registry if registry is not None else CollectorRegistry()
    app.state.metrics_registry = registry
    requests = Counter(
        "tidings_ingress_requests",
        "Ingress requests answered, by route template and status",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "tidings_ingress_request_duration_seconds",
        "Time to answer an ingress request, by route template",
        ["method", "route"],
        registry=registry,
        buckets=LATENCY_BUCKETS,
    )
    app.add_middleware(_RequestMetrics, requests=requests, latency=latency)

    @app.get(METRICS_PATH, include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
