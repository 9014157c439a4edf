"""The timeline every journey keeps for its `status` query: events received, messages sent, alerts."""

from __future__ import annotations

from collections.abc import Callable
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


class Timeline:
    """The journey's own account of itself, newest last; every workflow keeps one."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.entries: list[TimelineEntry] = []

    def note(
        self,
        kind: str,
        summary: str,
        *,
        event_id: str | None = None,
        message_key: str | None = None,
        channel: Channel | None = None,
        status: MessageStatus | None = None,
    ) -> None:
        self.entries.append(
            TimelineEntry(
                at=self._now(),
                kind=kind,
                summary=summary,
                event_id=event_id,
                message_key=message_key,
                channel=channel,
                status=status,
            )
        )
