"""OpenText-style status documents for a job (reference/opentext.md "Status"). The same document
is what OpenText posts to a status webhook, so a later callback emitter can reuse it."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from connectors.sandbox.state import MessageRecord
from domain.notifications import Channel

_ADDRESS_FIELDS = {Channel.EMAIL: "email", Channel.SMS: "sms", Channel.PUSH: "token"}


def _b64(value: str | None) -> str:
    # OpenText returns reference fields base64-encoded; our client decodes them to correlate.
    return base64.b64encode((value or "").encode("utf-8")).decode("ascii")


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _events(record: MessageRecord, sent: bool) -> dict[str, Any]:
    at = _time(record.received_at)
    if record.channel == Channel.EMAIL:
        dsn = (
            {"event_time": at, "status": "2.0.0", "message": "delivered"}
            if sent
            else {"event_time": at, "status": "5.1.1", "message": "mailbox unavailable"}
        )
        return {"email_delivery_events": {"dsn": [dsn], "html_open": [], "opt_out": None}}
    event = (
        {"event_time": at, "status": "Confirmed", "message": "delivered to handset"}
        if sent
        else {"event_time": at, "status": "Failed", "message": "undeliverable"}
    )
    return {"sms_delivery_events": [event]}


def _delivery(record: MessageRecord) -> dict[str, Any]:
    sent = record.status != "failed"  # "sent" or "delivered"
    at = _time(record.received_at)
    address_field = _ADDRESS_FIELDS[record.channel]
    return {
        "ref_base64": _b64(record.ref),
        address_field: record.to,
        "delivery_attempts": [
            {
                "state": "Sent" if sent else "Error",
                "gamma_code": None if sent else "undeliverable",
                "first_attempt": at,
                "delivery_time": at if sent else None,
            }
        ],
        "events": _events(record, sent),
    }


def status_document(job_id: str, records: list[MessageRecord]) -> dict[str, Any]:
    """`records` are the job's messages, all from one submit (so they share reference and time)."""
    first = records[0]
    return {
        "job_id": job_id,
        "job_state": ["Complete", "Posted"],
        "entry_time": _time(first.received_at),
        "customer_reference_base64": _b64(first.reference),
        "deliveries": [_delivery(record) for record in records],
    }
