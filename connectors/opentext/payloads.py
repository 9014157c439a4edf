"""Request bodies for OpenText Cloud Messaging, as pure functions so they are tested without HTTP.

Our message key goes into every reference field OpenText echoes back (`customer_reference`,
`message_id`, destination `ref`): OpenText has no idempotency key, so these are what let a status
document or a receipt be matched to the ledger.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from pydantic import BaseModel, Field

PUSH_DOMAIN = "MR"


def b64(text: str) -> str:
    """Base64 of the UTF-8 bytes, as OpenText wants for body parts and parser files."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def sms_body(to: str, text: str, key: str) -> dict[str, Any]:
    """`POST /outbound/sms` body for one recipient."""
    return {
        "destinations": [{"sms": to, "ref": key}],
        "sms_text": text,
        "options": {"customer_reference": key, "message_id": key},
    }


def email_body(
    to: str,
    display_to: str | None,
    subject: str,
    html: str | None,
    text: str,
    key: str,
    from_name: str | None = None,
) -> dict[str, Any]:
    """`POST /outbound/emails` body for one recipient: the plain-text part always, the HTML part
    when there is one (mail clients show the last alternative they understand, so HTML goes last)."""
    destination: dict[str, Any] = {"email": to, "ref": key}
    if display_to:
        destination["display_to"] = display_to
    parts: list[dict[str, Any]] = [
        {"type": "text", "name": "body.txt", "charset": "utf-8", "data": b64(text)},
    ]
    if html is not None:
        parts.append({"type": "html", "name": "body.html", "charset": "utf-8", "data": b64(html)})
    email_options: dict[str, Any] = {"subject": subject, "charset": "utf-8"}
    if from_name:
        email_options["from_display_name"] = from_name
    return {
        "destinations": [destination],
        "body": parts,
        "options": {"customer_reference": key, "message_id": key, "email_options": email_options},
    }


class PushMessage(BaseModel):
    """One push notification to one device. FCM-like because OpenText relays push through
    Firebase; `data` values are strings because FCM's data map only carries strings."""

    token: str
    title: str
    body: str
    key: str
    image: str | None = None
    link: str | None = None
    data: dict[str, str] = Field(default_factory=dict)
    collapse_key: str | None = None
    ttl_seconds: int | None = None


def push_filename(key: str) -> str:
    # Message keys contain ':' (workflow ids); keep the file name to characters any file store takes.
    return "push-" + re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".json"


def push_request(message: PushMessage) -> dict[str, Any]:
    """`POST /utils/parser` envelope carrying a push request file.

    The request file's schema is not confirmed by OpenText (see reference/opentext.md), so this is
    the one place that shapes it: an FCM HTTP v1 `message` plus our reference beside it.
    """
    notification: dict[str, Any] = {"title": message.title, "body": message.body}
    if message.image:
        notification["image"] = message.image
    fcm: dict[str, Any] = {"token": message.token, "notification": notification}
    if message.data:
        fcm["data"] = dict(message.data)
    if message.link:
        fcm["link"] = message.link
    if message.collapse_key:
        fcm["collapse_key"] = message.collapse_key
    if message.ttl_seconds is not None:
        fcm["ttl"] = message.ttl_seconds
    request_file = {"customer_reference": message.key, "message": fcm}
    return {
        "domain": PUSH_DOMAIN,
        "filename": push_filename(message.key),
        "data": b64(json.dumps(request_file, ensure_ascii=False, separators=(",", ":"))),
    }
