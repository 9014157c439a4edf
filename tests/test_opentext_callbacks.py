"""OpenText callback wire formats: status webhooks → delivery receipts, the inbound format, and the
shared-secret check."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.datastructures import Headers

from connectors.errors import WebhookAuthError, WebhookPayloadError
from connectors.opentext.callbacks import (
    DEFAULT_CALLBACK_HEADER,
    inbound_payload,
    parse_inbound,
    parse_status_webhook,
    verify_callback,
)
from connectors.sandbox.state import MessageRecord
from connectors.sandbox.status_documents import status_document
from domain.notifications import Channel, DeliveryReceipt, DeliveryState, InboundMessage

KEY = "order:bigcommerce:abc123:1042:shipped:sms"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def sms_document(
    state: str = "Sent",
    events: list[dict[str, Any]] | None = None,
    gamma_code: str | None = None,
    key: str = KEY,
) -> dict[str, Any]:
    """A status document in the shape reference/opentext.md describes for SMS."""
    return {
        "job_id": "xsi-1111111111",
        "job_state": ["Complete", "Posted"],
        "entry_time": "2024-03-05T10:00:00Z",
        "customer_reference_base64": b64(key),
        "deliveries": [
            {
                "ref_base64": b64(key),
                "sms": "+15551234567",
                "delivery_attempts": [
                    {"state": "Submitted", "gamma_code": None, "first_attempt": "2024-03-05T10:00:01Z"},
                    {
                        "state": state,
                        "gamma_code": gamma_code,
                        "first_attempt": "2024-03-05T10:00:01Z",
                        "delivery_time": "2024-03-05T10:00:04Z" if state == "Sent" else None,
                    },
                ],
                "events": {"sms_delivery_events": events if events is not None else []},
            }
        ],
    }


def email_document(
    dsn: list[dict[str, Any]] | None = None, opt_out: Any = None, state: str = "Sent"
) -> dict[str, Any]:
    return {
        "job_id": "xsi-2222222222",
        "job_state": ["Complete", "Posted"],
        "entry_time": "2024-03-05T10:00:00Z",
        "customer_reference_base64": b64("k-email"),
        "deliveries": [
            {
                "ref_base64": b64("k-email"),
                "email": "ana@example.com",
                "delivery_attempts": [
                    {"state": state, "first_attempt": "2024-03-05T10:00:01Z", "delivery_time": None}
                ],
                "events": {
                    "email_delivery_events": {
                        "dsn": dsn if dsn is not None else [],
                        "html_open": [],
                        "opt_out": opt_out,
                    }
                },
            }
        ],
    }


CONFIRMED = {"event_time": "2024-03-05T10:00:05Z", "status": "Confirmed", "message": "delivered to handset"}


# ---- status webhooks ----------------------------------------------------------------------------


def test_sms_confirmed_is_delivered() -> None:
    (receipt,) = parse_status_webhook(body(sms_document(events=[CONFIRMED])))
    assert receipt == DeliveryReceipt(
        job_id="xsi-1111111111",
        message_key=KEY,
        channel=Channel.SMS,
        address="+15551234567",
        state=DeliveryState.DELIVERED,
        occurred_at=datetime(2024, 3, 5, 10, 0, 4, tzinfo=UTC),
    )


def test_sms_sent_without_events_is_delivered_but_unconfirmed_events_are_pending() -> None:
    (no_events,) = parse_status_webhook(body(sms_document(events=[])))
    assert no_events.state == DeliveryState.DELIVERED
    buffered = {"event_time": "2024-03-05T10:00:05Z", "status": "Buffered", "message": "queued at carrier"}
    (waiting,) = parse_status_webhook(body(sms_document(events=[buffered])))
    assert waiting.state == DeliveryState.PENDING
    # The last event decides: a confirmation after a buffering report delivers.
    (later,) = parse_status_webhook(body(sms_document(events=[buffered, CONFIRMED])))
    assert later.state == DeliveryState.DELIVERED


def test_sms_error_is_failed_with_gamma_code_and_event_message() -> None:
    failed_event = {"event_time": "2024-03-05T10:00:05Z", "status": "Failed", "message": "unknown subscriber"}
    (receipt,) = parse_status_webhook(
        body(sms_document(state="Error", gamma_code="G-401", events=[failed_event]))
    )
    assert receipt.state == DeliveryState.FAILED
    assert receipt.detail == "Error; gamma_code G-401; unknown subscriber"
    assert receipt.message_key == KEY
    # Sent to the carrier, then a handset failure: failed too.
    (after_sent,) = parse_status_webhook(body(sms_document(state="Sent", events=[failed_event])))
    assert after_sent.state == DeliveryState.FAILED
    assert after_sent.detail is not None and "unknown subscriber" in after_sent.detail


def test_cancelled_is_failed() -> None:
    (receipt,) = parse_status_webhook(body(sms_document(state="Cancelled")))
    assert (receipt.state, receipt.detail) == (DeliveryState.FAILED, "Cancelled")


@pytest.mark.parametrize("state", ["Submitted", "Pending", "InProcess"])
def test_in_flight_states_are_pending(state: str) -> None:
    (receipt,) = parse_status_webhook(body(sms_document(state=state)))
    assert (receipt.state, receipt.detail) == (DeliveryState.PENDING, None)
    # No delivery_time yet: the time of the first attempt.
    assert receipt.occurred_at == datetime(2024, 3, 5, 10, 0, 1, tzinfo=UTC)


def test_no_attempt_yet_and_unknown_state_are_pending() -> None:
    document = sms_document()
    document["deliveries"][0]["delivery_attempts"] = []
    (receipt,) = parse_status_webhook(body(document))
    assert receipt.state == DeliveryState.PENDING
    assert receipt.occurred_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)  # the job's entry_time
    (unknown,) = parse_status_webhook(body(sms_document(state="Teleported")))
    assert (unknown.state, unknown.detail) == (DeliveryState.PENDING, "unknown delivery state 'Teleported'")


def test_email_delivered() -> None:
    dsn = [{"event_time": "2024-03-05T10:00:03Z", "status": "2.0.0", "message": "delivered"}]
    (receipt,) = parse_status_webhook(body(email_document(dsn=dsn)))
    assert (receipt.channel, receipt.address, receipt.state) == (
        Channel.EMAIL,
        "ana@example.com",
        DeliveryState.DELIVERED,
    )
    assert (receipt.message_key, receipt.opted_out) == ("k-email", False)
    assert receipt.occurred_at == datetime(2024, 3, 5, 10, 0, 3, tzinfo=UTC)


def test_email_bounce_is_failed() -> None:
    dsn = [{"event_time": "2024-03-05T10:00:03Z", "status": "5.1.1", "message": "mailbox unavailable"}]
    (receipt,) = parse_status_webhook(body(email_document(dsn=dsn)))
    assert receipt.state == DeliveryState.FAILED
    assert receipt.detail == "Sent; DSN 5.1.1; mailbox unavailable"


@pytest.mark.parametrize(
    "opt_out", [True, [{"event_time": "2024-03-06T08:00:00Z"}], {"event_time": "2024-03-06T08:00:00Z"}]
)
def test_email_opt_out(opt_out: Any) -> None:
    (receipt,) = parse_status_webhook(body(email_document(opt_out=opt_out)))
    assert receipt.opted_out is True
    assert receipt.state == DeliveryState.DELIVERED
    nothings: list[Any] = [None, False, []]
    for nothing in nothings:
        (plain,) = parse_status_webhook(body(email_document(opt_out=nothing)))
        assert plain.opted_out is False


def test_a_list_of_documents_and_several_deliveries() -> None:
    sms = sms_document(events=[CONFIRMED])
    second = json.loads(json.dumps(sms["deliveries"][0]))
    second["sms"] = "+15559876543"
    second["delivery_attempts"][-1]["state"] = "Pending"
    sms["deliveries"].append(second)
    receipts = parse_status_webhook(body([sms, email_document()]))
    assert [(r.job_id, r.address, r.state) for r in receipts] == [
        ("xsi-1111111111", "+15551234567", DeliveryState.DELIVERED),
        ("xsi-1111111111", "+15559876543", DeliveryState.PENDING),
        ("xsi-2222222222", "ana@example.com", DeliveryState.DELIVERED),
    ]
    assert parse_status_webhook(b"[]") == []


def test_key_falls_back_to_the_destination_ref() -> None:
    document = sms_document()
    document["customer_reference_base64"] = ""
    (receipt,) = parse_status_webhook(body(document))
    assert receipt.message_key == KEY
    del document["deliveries"][0]["ref_base64"]
    (anonymous,) = parse_status_webhook(body(document))
    assert anonymous.message_key is None


def test_the_sandbox_status_document_parses() -> None:
    """The sandbox posts what status_documents builds: both sides must agree."""
    at = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    records = [
        MessageRecord(
            channel=Channel.SMS, to="+1555", text="hi", reference="k1", ref="k1", received_at=at, job_id="j"
        ),
        MessageRecord(
            channel=Channel.SMS,
            to="+1666",
            text="hi",
            reference="k1",
            ref="k1",
            received_at=at,
            job_id="j",
            status="failed",
        ),
    ]
    ok, failed = parse_status_webhook(body(status_document("j", records)))
    assert (ok.state, ok.message_key, ok.occurred_at) == (DeliveryState.DELIVERED, "k1", at)
    assert failed.state == DeliveryState.FAILED
    assert failed.detail == "Error; gamma_code undeliverable; undeliverable"


def _broken(change: Any) -> bytes:
    document = sms_document(events=[CONFIRMED])
    change(document)
    return body(document)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{not json", "status webhook body is not JSON"),
        (b"\xff\xfe", "status webhook body is not JSON"),
        (b'"text"', "must be a status document or a list of them, got str"),
        (b"[1]", "status document[0] must be a JSON object"),
        (_broken(lambda d: d.pop("job_id")), "job_id is required"),
        (_broken(lambda d: d.update(job_id=7)), "job_id must be a string"),
        (_broken(lambda d: d.pop("deliveries")), "deliveries is required"),
        (_broken(lambda d: d.update(deliveries={})), "deliveries must be a list"),
        (
            _broken(lambda d: d.update(customer_reference_base64="%%%")),
            "customer_reference_base64 is not base64",
        ),
        (_broken(lambda d: d["deliveries"][0].pop("sms")), "deliveries[0] has neither sms nor email"),
        (_broken(lambda d: d["deliveries"][0].update(email="a@b.c")), "deliveries[0] has both sms and email"),
        (
            _broken(lambda d: d["deliveries"][0].update(delivery_attempts="Sent")),
            "deliveries[0].delivery_attempts must be a list",
        ),
        (
            _broken(lambda d: d["deliveries"][0]["delivery_attempts"][1].update(state=3)),
            "deliveries[0].delivery_attempts[1].state must be a string",
        ),
        (
            _broken(lambda d: d["deliveries"][0]["delivery_attempts"][1].update(delivery_time="yesterday")),
            "deliveries[0].delivery_attempts[1].delivery_time is not an ISO 8601 timestamp",
        ),
        (
            _broken(lambda d: d["deliveries"][0]["events"].update(sms_delivery_events=[None])),
            "deliveries[0].events.sms_delivery_events[0] must be a JSON object",
        ),
        (
            body([sms_document(), {"job_id": "x", "deliveries": [[]]}]),
            "[1].deliveries[0] must be a JSON object",
        ),
    ],
)
def test_malformed_status_bodies_name_the_problem(raw: bytes, problem: str) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_status_webhook(raw)
    assert problem in str(caught.value)


# ---- inbound ------------------------------------------------------------------------------------


def test_inbound_round_trip() -> None:
    message = InboundMessage(
        channel=Channel.SMS,
        sender="+14155550101",
        text="STOP",
        received_at=datetime(2024, 3, 5, 10, 0, 0, 123456, tzinfo=UTC),
        to="TIDINGS",
        provider_message_id="in-1",
        reference=KEY,
    )
    payload = inbound_payload(message)
    assert payload == {
        "message_id": "in-1",
        "channel": "sms",
        "from": "+14155550101",
        "to": "TIDINGS",
        "text": "STOP",
        "received_at": "2024-03-05T10:00:00.123456Z",
        "reference_base64": b64(KEY),
    }
    assert parse_inbound(json.dumps(payload).encode()) == message

    push = InboundMessage(
        channel=Channel.PUSH,
        sender="device-1",
        text="",
        received_at=datetime(2024, 3, 5, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        provider_message_id="in-2",
        action="GOT_IT",
    )
    push_payload = inbound_payload(push)
    assert "reference_base64" not in push_payload and push_payload["action"] == "GOT_IT"
    assert push_payload["received_at"] == "2024-03-05T12:00:00+02:00"
    parsed = parse_inbound(json.dumps(push_payload).encode())
    assert parsed == push and parsed.received_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)


def test_inbound_minimal_and_extra_fields() -> None:
    minimal = {
        "message_id": "m",
        "channel": "email",
        "from": "ana@example.com",
        "text": "Where is my parcel?",
        "received_at": "2024-03-05T10:00:00+00:00",
        "future_field": 1,
    }
    message = parse_inbound(body(minimal))
    assert (message.channel, message.sender, message.to, message.reference, message.action) == (
        Channel.EMAIL,
        "ana@example.com",
        None,
        None,
        None,
    )


def test_inbound_payload_needs_a_message_id() -> None:
    message = InboundMessage(channel=Channel.SMS, sender="+1", text="hi", received_at=datetime.now(UTC))
    with pytest.raises(ValueError, match="provider_message_id"):
        inbound_payload(message)


GOOD_INBOUND = {
    "message_id": "m",
    "channel": "sms",
    "from": "+14155550101",
    "text": "STOP",
    "received_at": "2024-03-05T10:00:00Z",
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"channel": "fax"}, "channel must be one of push, sms, email, got 'fax'"),
        ({"channel": None}, "channel is required"),
        ({"from": ""}, "from must not be empty"),
        ({"from": None}, "from is required"),
        ({"text": None}, "text is required"),
        ({"text": 5}, "text must be a string"),
        ({"message_id": None}, "message_id is required"),
        ({"received_at": "soon"}, "received_at is not an ISO 8601 timestamp"),
        ({"received_at": None}, "received_at is required"),
        ({"reference_base64": "not base64!"}, "reference_base64 is not base64"),
        ({"to": 1}, "to must be a string"),
    ],
)
def test_malformed_inbound(change: dict[str, Any], problem: str) -> None:
    payload = {**GOOD_INBOUND, **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    with pytest.raises(WebhookPayloadError) as caught:
        parse_inbound(body(payload))
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "problem"), [(b"nope", "inbound message body is not JSON"), (b"[]", "must be a JSON object")]
)
def test_inbound_not_an_object(raw: bytes, problem: str) -> None:
    with pytest.raises(WebhookPayloadError, match=problem):
        parse_inbound(raw)


# ---- verify_callback ----------------------------------------------------------------------------


def test_verify_callback() -> None:
    name = DEFAULT_CALLBACK_HEADER
    verify_callback({name: "s3cret"}, header_name=name, secret="s3cret")
    verify_callback({name.lower(): "s3cret"}, header_name=name, secret="s3cret")  # plain dict, any case
    verify_callback(Headers({name: "s3cret"}), header_name=name, secret="s3cret")
    cases = [
        ({name: "s3cret"}, None, "callback secret not configured"),
        ({name: "s3cret"}, "", "callback secret not configured"),
        ({}, "s3cret", f"missing {name} header"),
        ({name: ""}, "s3cret", f"missing {name} header"),
        ({name: "wrong"}, "s3cret", f"{name} header does not match"),
        ({name: "s3cret-and-more"}, "s3cret", f"{name} header does not match"),
        ({name: "sëcret"}, "s3cret", f"{name} header does not match"),
    ]
    for headers, secret, problem in cases:
        with pytest.raises(WebhookAuthError) as caught:
            verify_callback(headers, header_name=name, secret=secret)
        assert str(caught.value) == problem
