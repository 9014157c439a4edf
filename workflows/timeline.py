"""The timeline every journey keeps for its `status` query: events received, messages sent, alerts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.notifications import Channel, MessageStatus


class TimelineEntry(BaseModel):
    at: datetime
    kind: str  # "event", "message", "alert", "note"
    summary: str
    event_id: str | None = None
    message_key: str | None = None
    channel: Channel | None = None
    status: MessageStatus | None = None
