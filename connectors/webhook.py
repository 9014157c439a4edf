"""What every platform's webhook parser returns, so the ingress treats all platforms alike."""

from __future__ import annotations

from pydantic import BaseModel

from domain.events import CommerceEvent


class ParsedWebhook(BaseModel):
    """What one webhook body means: zero or more events, or why it was ignored."""

    scope: str  # the platform's own name for what happened (scope, event_type, item type …)
    events: list[CommerceEvent]
    ignored: str | None = None
