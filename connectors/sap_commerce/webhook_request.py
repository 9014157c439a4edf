"""One SAP Commerce webhook as the IO handlers read it: its item JSON, the destination's query
parameters, and how an event about it is made."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.errors import WebhookPayloadError
from connectors.sap_commerce.item_json import SapUid, params_get
from domain.events import CommerceEvent, CustomerRef, EventType, Platform

SITE_PARAM = "site"

# Site ids go into workflow ids and API paths.
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class WebhookRequest:
    io: str
    raw: dict[str, Any]
    params: Mapping[str, str]
    operation: str | None  # "created", "updated", "deleted" (ce-type), None when not told
    event: str | None  # the destination's `event` parameter
    now: datetime

    def site(self, own: SapUid | None, where: str) -> str:
        site = own.uid.strip() if own is not None else params_get(self.params, SITE_PARAM)
        if site is None:
            raise WebhookPayloadError(f"{where} is missing and the destination URL has no site parameter")
        if not _SITE.fullmatch(site):
            raise WebhookPayloadError(f"{where}: {site!r} is not a base site uid")
        return site

    def event_of(
        self, event_id: str, store: str, event_type: EventType, customer: CustomerRef, **parts: Any
    ) -> CommerceEvent:
        scope = self.io if self.event is None else f"{self.io}:{self.event}"
        occurred = parts.pop("occurred_at", None) or self.now
        return CommerceEvent(
            event_id=event_id,
            platform=Platform.SAP_COMMERCE,
            store=store,
            type=event_type,
            occurred_at=occurred,
            customer=customer,
            raw_scope=scope,
            **parts,
        )


Handler = Callable[[WebhookRequest], list[CommerceEvent]]
