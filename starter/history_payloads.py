"""Every payload of a recorded history, for encrypting or decrypting a whole history file at once.

Skips what the SDK's own codec path skips: search attributes (the server indexes them in clear),
headers (not encoded by default; they carry trace context only) and patch markers (Core, not the
Python codec, reads a `workflow.patched` marker's id)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Header, Payload, Payloads, SearchAttributes
from temporalio.api.history.v1 import History, MarkerRecordedEventAttributes

PayloadFn = Callable[[Payload], Payload]
SKIPPED = (SearchAttributes.DESCRIPTOR.full_name, Header.DESCRIPTOR.full_name)
PATCH_MARKER = "core_patch"


def transform_history(history: History, fn: PayloadFn) -> None:
    """Replace, in place, each payload of `history` with `fn(payload)`."""
    for payload in history_payloads(history):
        payload.CopyFrom(fn(payload))


def history_payloads(message: Message) -> Iterator[Payload]:
    """Every payload within `message`, depth first, except in search attributes and headers."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            entry_value = field.message_type.fields_by_name["value"]
            if entry_value.message_type is not None:
                for item in value.values():
                    yield from _within(item)
        elif isinstance(value, Message):
            yield from _within(value)
        else:  # a repeated field (told by its value: the descriptor's API differs across protobuf versions)
            for item in value:
                yield from _within(item)


def _within(message: Message) -> Iterator[Payload]:
    name = message.DESCRIPTOR.full_name
    if name in SKIPPED:
        return
    if isinstance(message, MarkerRecordedEventAttributes) and message.marker_name == PATCH_MARKER:
        return
    if name == Payload.DESCRIPTOR.full_name:
        yield message  # type: ignore[misc]
    elif name == Payloads.DESCRIPTOR.full_name:
        yield from message.payloads  # type: ignore[attr-defined]
    else:
        yield from history_payloads(message)
