"""Traces, metrics and logs for the worker and the ingress; each process wires them at start-up.

- `tracing`: `configure_tracing`, `temporal_interceptors`, `instrument_app`, `instrument_http_client`
- `metrics`: `serve_temporal_metrics`, `MessageMetrics` (worker), `instrument_metrics` (ingress `/metrics`)
- `logs`: `configure_logging` (JSON lines with workflow and trace ids, personal data masked)
"""

from starter.observability.logs import configure_logging
from starter.observability.metrics import (
    MessageMetrics,
    instrument_metrics,
    prometheus_runtime,
    serve_temporal_metrics,
)
from starter.observability.tracing import (
    INGRESS_SERVICE,
    WORKER_SERVICE,
    configure_tracing,
    instrument_app,
    instrument_http_client,
    temporal_interceptors,
)

__all__ = [
    "INGRESS_SERVICE",
    "WORKER_SERVICE",
    "MessageMetrics",
    "configure_logging",
    "configure_tracing",
    "instrument_app",
    "instrument_http_client",
    "instrument_metrics",
    "prometheus_runtime",
    "serve_temporal_metrics",
    "temporal_interceptors",
]
