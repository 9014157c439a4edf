"""What every platform's webhook parser returns, so the ingress treats all platforms alike, and the
steps every parser starts with: the body as a JSON object, then its parts validated with errors that
name the field path (HTTP 400)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from connectors import safe_json
from connectors.errors import WebhookPayloadError
from connectors.wire import describe
from domain.events import CommerceEvent

_Model = TypeVar("_Model", bound=BaseModel)


class ParsedWebhook(BaseModel):
    """What one webhook body means: zero or more events, or why it was ignored."""

    scope: str  # the platform's own name for what happened (scope, event_type, item type …)
    events: list[CommerceEvent]
    ignored: str | None = None


def json_object_body(body: bytes, *, decimals: bool = False) -> dict[str, Any]:
    """The raw body as the JSON object every platform posts, read under `safe_json`'s limits (with
    `decimals`, fractions as `Decimal`), or `WebhookPayloadError`."""
    raw = safe_json.loads(body, decimals=decimals)
    if not isinstance(raw, dict):
        raise WebhookPayloadError(f"body must be a JSON object, not {type(raw).__name__}")
    return raw


def parse_payload(model: type[_Model], value: Any, root: str = "", *, limit: int | None = None) -> _Model:
    """Validate (part of) a payload, or raise `WebhookPayloadError` naming each problem by its field
    path below `root` (the first `limit` problems, with a limit)."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise WebhookPayloadError(describe(exc, root, limit=limit)) from None
