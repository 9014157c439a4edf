"""What every BigCommerce scope handler shares: id coercion, the parsed result and the handler type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from connectors.wire import id_text
from domain.events import (
    AccountPayload,
    AlertPayload,
    CartPayload,
    CasePayload,
    EventType,
    OrderPayload,
    ProductPayload,
)


def as_id(value: object) -> str:
    # BigCommerce sends integer ids, some newer payloads strings; an id is never blank (nor a bool).
    text = id_text(value)
    if isinstance(text, str) and text.strip():
        return text.strip()
    raise PydanticCustomError("bigcommerce_id", "must be an integer or a non-empty string")


BcId = Annotated[str, BeforeValidator(as_id)]
Payload = OrderPayload | CartPayload | CasePayload | ProductPayload | AccountPayload | AlertPayload


@dataclass(frozen=True)
class Parsed:
    type: EventType
    payload: Payload
    extra: dict[str, Any] = field(default_factory=dict)  # what else the webhook said, for the timeline
    # The same `data` recurs for distinct changes ("product 77 changed"): the payload's `hash` alone
    # would make every later change a duplicate, so the event id adds the moment it was created.
    recurs: bool = False


# A handler parses `data` into one event, or says in a sentence why the webhook is ignored.
Handler = Callable[[dict[str, Any]], Parsed | str]
