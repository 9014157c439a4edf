"""Logs for the worker, the ingress and the CLI: one line per record (JSON by default) that names the
journey (`workflow_id`) and the trace (`trace_id`), with phone numbers and email addresses masked.

Everything hangs off one root handler, so library loggers (temporalio, httpx, uvicorn) get the same
treatment as ours. Two filters on that handler do the work: `Correlation` copies Temporal's workflow
and activity details (which its loggers put in `extra`) and the current OpenTelemetry span's ids onto
the record; `RedactPersonalData` masks the message, its arguments, tracebacks and those ids.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TextIO

from opentelemetry import trace
from opentelemetry.trace import SpanContext
from pythonjsonlogger.core import RESERVED_ATTRS, LogData
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity, workflow

from starter.observability.redaction import Redactor
from starter.observability.tracing import activity_span_context

# Temporal's `extra` dicts → our fields: {field in the dict: field in our lines}
_WORKFLOW_FIELDS = {"workflow_id": "workflow_id", "run_id": "run_id", "workflow_type": "workflow_type"}
_ACTIVITY_FIELDS = {
    "workflow_id": "workflow_id",
    "workflow_run_id": "run_id",
    "workflow_type": "workflow_type",
    "activity_type": "activity_type",
    "activity_id": "activity_id",
    "attempt": "attempt",
}
# Copied flat above, or not serialisable (full info objects), or only colour codes (uvicorn).
_NOT_IN_LINES = ("temporal_workflow", "temporal_activity", "workflow_info", "activity_info", "color_message")
_ALREADY_REDACTED = frozenset(
    {"message", "exc_info", "stack_info", "time", "level", "logger", "trace_id", "span_id"}
)
_OURS = "_tidings_handler"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class Correlation(logging.Filter):
    """Adds `workflow_id`, `run_id`, `workflow_type` (and in activities `activity_type`, `activity_id`,
    `attempt`) from Temporal's logger extras, or, for any other logger called inside an activity or
    workflow (httpx, ours), from the running one's info; and `trace_id`/`span_id` of the current span
    (an ingress request, an activity) or, after an activity's span ended, of that activity attempt.
    Fields given explicitly in `extra` win."""

    def filter(self, record: logging.LogRecord) -> bool:
        context: SpanContext | None = trace.get_current_span().get_span_context()
        if context is None or not context.is_valid:
            context = activity_span_context()
        if context is not None and context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        fields = record.__dict__
        details = fields.get("temporal_activity")
        names = _ACTIVITY_FIELDS
        if not isinstance(details, Mapping):
            details, names = fields.get("temporal_workflow"), _WORKFLOW_FIELDS
        if not isinstance(details, Mapping):
            # Context variable lookups: cheap enough for every record.
            if activity.in_activity():
                details, names = vars(activity.info()), _ACTIVITY_FIELDS
            elif workflow.in_workflow():
                details, names = vars(workflow.info()), _WORKFLOW_FIELDS
            else:
                return True
        for source, name in names.items():
            if source in details and name not in fields:
                fields[name] = details[source]
        return True


class RedactPersonalData(logging.Filter):
    """Masks phone numbers and email addresses in what a record says: its message formatted with its
    arguments (formatted here once; the args are then cleared), its traceback and stack, and the
    workflow id. Other `extra` values are masked by `JsonLines`."""

    _FORMATTER = logging.Formatter()

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping) and not record.args:  # a dict message (python-json-logger)
            record.msg = self.redact.value(record.msg)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                # Arguments that do not fit the format: a filter must not raise into the caller
                # (an activity would fail over a log line), so both are kept, masked.
                message = f"{record.msg} {record.args!r}"
            record.msg = self.redact(message)
            record.args = None
        if record.exc_info:
            # Formatters reuse `exc_text`; dropping `exc_info` keeps them from formatting it afresh.
            record.exc_text = self._FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        workflow_id = record.__dict__.get("workflow_id")
        if isinstance(workflow_id, str):
            record.workflow_id = self.redact(workflow_id)
        return True


class JsonLines(JsonFormatter):
    """`{"level", "logger", "message", "time", ...extras}`; extras masked like the message."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, *_NOT_IN_LINES],
            timestamp="time",
        )
        self.redact = redact

    def process_log_record(self, log_data: LogData) -> LogData:
        for key, value in log_data.items():
            if key not in _ALREADY_REDACTED and isinstance(value, str | Mapping | list | tuple):
                log_data[key] = self.redact.value(value)
        return log_data


class TextLines(logging.Formatter):
    """The plain format of before, with the workflow and trace ids appended when there are any."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        ids = [f"{key}={value}" for key in ("workflow_id", "trace_id") if (value := record.__dict__.get(key))]
        return f"{line} [{' '.join(ids)}]" if ids else line


def configure_logging(
    json: bool = True, level: str = "INFO", *, region: str = "US", stream: TextIO | None = None
) -> logging.Handler:
    """Install the root handler (replacing the one a previous call installed) and return it.

    `region` reads national phone numbers (like `TIDINGS_DEFAULT_REGION`); `stream` defaults to
    stderr. In JSON mode Temporal's loggers stop appending their details to every message: they
    are fields of the line instead."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
    redact = Redactor(region)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _OURS, True)
    handler.addFilter(Correlation())
    handler.addFilter(RedactPersonalData(redact))
    handler.setFormatter(JsonLines(redact) if json else TextLines())
    root.addHandler(handler)
    root.setLevel(level.upper())
    workflow.logger.workflow_info_on_message = not json
    activity.logger.activity_info_on_message = not json
    return handler
