"""What the sandbox's OpenText send endpoints accept (shapes from reference/opentext.md), and how
each request becomes one `MessageRecord` per destination with its base64 content decoded.

Shape errors raise `ValueError` with a readable message; the endpoints turn them into 400s.
Unknown fields are allowed, as a real API would ignore options it does not use here.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.sandbox.state import MessageRecord
from domain.notifications import Channel


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class Insert(_Shape):
    id: str
    value: str


class SmsDestination(_Shape):
    sms: str = Field(min_length=1)
    ref: str | None = None
    inserts: list[Insert] = Field(default_factory=list)


class EmailDestination(_Shape):
    email: str = Field(min_length=3, pattern=r".+@.+")
    ref: str | None = None
    display_to: str | None = None
    inserts: list[Insert] = Field(default_factory=list)


class EmailOptions(_Shape):
    subject: str | None = None
    from_display_name: str | None = None
    charset: str | None = None


class Options(_Shape):
    message_id: str | None = None
    billing_code: str | None = None
    customer_reference: str | None = None
    email_options: EmailOptions | None = None


class SmsSubmit(_Shape):
    destinations: list[SmsDestination] = Field(min_length=1)
    sms_text: str = Field(min_length=1)
    options: Options = Field(default_factory=Options)


class BodyPart(_Shape):
    type: str
    data: str
    name: str | None = None
    charset: str | None = None


class EmailSubmit(_Shape):
    destinations: list[EmailDestination] = Field(min_length=1)
    body: list[BodyPart] = Field(min_length=1)
    options: Options = Field(default_factory=Options)


class ParserSubmit(_Shape):
    domain: str = Field(pattern=r"^MR$")
    filename: str = Field(min_length=1)
    data: str


class PushNotification(_Shape):
    title: str | None = None
    body: str | None = None
    image: str | None = None


class PushMessageFile(_Shape):
    token: str | None = None
    topic: str | None = None
    notification: PushNotification = Field(default_factory=PushNotification)
    data: dict[str, str] = Field(default_factory=dict)
    link: str | None = None
    collapse_key: str | None = None
    ttl: int | None = None


class PushRequestFile(_Shape):
    customer_reference: str | None = None
    message: PushMessageFile


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(body)'}: {error['msg']}" for error in exc.errors()
        )
        raise ValueError(f"invalid {model.__name__}: {problems}") from exc


def decode_base64(data: str, charset: str | None = None, what: str = "data") -> str:
    try:
        raw = base64.b64decode(data, validate=True)
        return raw.decode(charset or "utf-8")
    except (binascii.Error, UnicodeDecodeError, LookupError) as exc:
        raise ValueError(f"{what} is not base64 of {charset or 'utf-8'} text: {exc}") from exc


def _reference(options: Options, ref: str | None) -> str | None:
    return options.customer_reference or options.message_id or ref


def sms_records(
    payload: Any, *, job_id: str, received_at: datetime, submit_id: str | None
) -> list[MessageRecord]:
    submit = parse(SmsSubmit, payload)
    return [
        MessageRecord(
            channel=Channel.SMS,
            to=destination.sms,
            text=submit.sms_text,
            reference=_reference(submit.options, destination.ref),
            ref=destination.ref,
            received_at=received_at,
            job_id=job_id,
            submit_id=submit_id,
        )
        for destination in submit.destinations
    ]


def email_records(
    payload: Any, *, job_id: str, received_at: datetime, submit_id: str | None
) -> list[MessageRecord]:
    submit = parse(EmailSubmit, payload)
    plain: str | None = None
    html: str | None = None
    for index, part in enumerate(submit.body):
        kind = part.type.lower()
        if kind not in ("text", "html"):
            continue  # attachments and other parts are accepted and ignored
        decoded = decode_base64(part.data, part.charset, what=f"body.{index}.data")
        if kind == "html":
            html = decoded
        else:
            plain = decoded
    if plain is None and html is None:
        raise ValueError("invalid EmailSubmit: body has no part of type 'text' or 'html'")
    email_options = submit.options.email_options or EmailOptions()
    return [
        MessageRecord(
            channel=Channel.EMAIL,
            to=destination.email,
            subject=email_options.subject,
            html=html,
            body=plain,
            from_name=email_options.from_display_name,
            reference=_reference(submit.options, destination.ref),
            ref=destination.ref,
            received_at=received_at,
            job_id=job_id,
            submit_id=submit_id,
        )
        for destination in submit.destinations
    ]


def push_records(
    payload: Any, *, job_id: str, received_at: datetime, submit_id: str | None
) -> list[MessageRecord]:
    envelope = parse(ParserSubmit, payload)
    text = decode_base64(envelope.data, what="data")
    try:
        request_file = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"data does not decode to a JSON request file: {exc}") from exc
    push = parse(PushRequestFile, request_file)
    message = push.message
    to = message.token or message.topic
    if not to:
        raise ValueError("invalid PushRequestFile: message needs a token or a topic")
    return [
        MessageRecord(
            channel=Channel.PUSH,
            to=to,
            title=message.notification.title,
            text=message.notification.body,
            image=message.notification.image,
            link=message.link,
            data=message.data,
            reference=push.customer_reference or envelope.filename,
            received_at=received_at,
            job_id=job_id,
            submit_id=submit_id,
        )
    ]
