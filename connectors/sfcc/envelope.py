"""Our webhook envelope `{event_id, event_type, site_id, occurred_at, data}`: its JSON Schema
(`envelope.schema.json`), validation whose errors name the JSON path, and what every event handler
uses to read `data` and build canonical events from it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from importlib import resources
from typing import Any, Final, TypeVar

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from pydantic import BaseModel

from connectors import safe_json
from connectors.errors import WebhookPayloadError
from connectors.sfcc.status_map import PickupMethods
from connectors.webhook import parse_payload
from connectors.wire import Wire
from domain.events import CommerceEvent, CustomerRef, EventType, Platform

SCHEMA: Final[dict[str, Any]] = json.loads(
    resources.files("connectors.sfcc").joinpath("envelope.schema.json").read_text(encoding="utf-8")
)
EVENT_TYPES: Final[frozenset[str]] = frozenset(SCHEMA["$defs"]["event_type"]["enum"])
_SITE_ID = re.compile(SCHEMA["properties"]["site_id"]["pattern"])
MAX_PROBLEMS = 5  # a body wrong in fifty places gets the first five named

_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # RFC 3339 wants an offset: a naive time would be read in whatever zone the reader is in.
    return not isinstance(value, str) or (
        "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None
    )


@_formats.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


_VALIDATOR: Final = Draft202012Validator(SCHEMA, format_checker=_formats)


class Envelope(Wire):
    event_id: str
    event_type: str
    site_id: str
    occurred_at: datetime
    data: dict[str, Any]


_D = TypeVar("_D", bound=BaseModel)
# A handler turns one envelope into events, or says in a sentence why it is ignored.
Handler = Callable[[Envelope, PickupMethods], list[CommerceEvent] | str]


def read_envelope(raw: dict[str, Any]) -> Envelope:
    """Validate a decoded body against the schema. Raises `WebhookPayloadError` naming the JSON path
    of what is wrong (the first `MAX_PROBLEMS` problems)."""
    problems = sorted(_VALIDATOR.iter_errors(raw), key=lambda e: (list(e.absolute_path), e.message))
    if problems:
        raise WebhookPayloadError("; ".join(_describe(p) for p in problems[:MAX_PROBLEMS]))
    return Envelope.model_validate(raw)


def peek_site_id(body: bytes) -> str | None:
    """The site the body says it is from, before it is verified: the ingress picks the site's secret
    with it. Nothing else may be trusted before `verify_webhook`."""
    raw = safe_json.peek(body)  # bounded: a hostile body must still get its 401
    site = raw.get("site_id") if isinstance(raw, dict) else None
    return site if isinstance(site, str) and _SITE_ID.fullmatch(site) else None


_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")


def _describe(error: SchemaError) -> str:
    path = error.json_path
    missing = _REQUIRED.match(error.message) if error.validator == "required" else None
    if missing:
        return f"{path}.{missing['name']} is missing"
    if error.validator == "anyOf" and error.context:
        # "is not valid under any of the given schemas" says nothing; say which fields would do.
        alternatives: dict[object, list[str]] = {}
        for sub in error.context:
            if (found := _REQUIRED.match(sub.message)) and not sub.relative_path:
                alternatives.setdefault(sub.relative_schema_path[0], []).append(found["name"])
        if alternatives:
            return f"{path} needs " + ", or ".join(" and ".join(names) for names in alternatives.values())
        return _describe(best_match(error.context))
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{path}: {message}"


def read_data(model: type[_D], envelope: Envelope) -> _D:
    # The schema has vouched for the shape; this is the typed reading (and a second guard).
    return parse_payload(model, envelope.data, "$.data", limit=MAX_PROBLEMS)


def new_event(
    envelope: Envelope,
    event_type: EventType,
    *,
    suffix: str = "",
    customer: CustomerRef | None = None,
    extra: dict[str, Any] | None = None,
    **payload: Any,
) -> CommerceEvent:
    return CommerceEvent(
        event_id=envelope.event_id + suffix,
        platform=Platform.SFCC,
        store=envelope.site_id,
        type=event_type,
        occurred_at=envelope.occurred_at,
        customer=customer or CustomerRef(),
        raw_scope=envelope.event_type,
        extra=extra or {},
        **payload,
    )
