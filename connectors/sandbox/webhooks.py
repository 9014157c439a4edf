"""The sandbox's outgoing callbacks, as OpenText would make them to the ingress:

- after a send is accepted, the job's status document (the status API's schema, built by
  `status_documents`) is posted to `{callback_url}/callbacks/opentext/status`, `status_delay` seconds
  later, in a background task (the send's answer never waits for it). Connection errors and 5xx are
  retried with doubling backoff, then given up and logged. Push has no status call at OpenText, so
  push sends get no status callback;
- `POST /sandbox/reply` turns a simulated customer message into the inbound payload
  (`connectors.opentext.callbacks.inbound_payload`), posts it to `{callback_url}/callbacks/opentext/inbound`
  and answers with whatever the ingress answered.

Both carry the shared secret header when the sandbox has one. Every attempt is recorded for
`GET /sandbox/callbacks`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.opentext.callbacks import inbound_payload
from connectors.sandbox.state import (
    CallbackAttempt,
    MessageRecord,
    ReplyRecord,
    SandboxState,
    get_state,
    utc_now,
)
from connectors.sandbox.status_documents import status_document
from domain.notifications import Channel, InboundMessage

STATUS_PATH = "/callbacks/opentext/status"
INBOUND_PATH = "/callbacks/opentext/inbound"

log = logging.getLogger("tidings.sandbox")

router = APIRouter(tags=["sandbox"])

State = Annotated[SandboxState, Depends(get_state)]


# ---- posting ------------------------------------------------------------------------------------


async def _post(
    http: httpx.AsyncClient,
    state: SandboxState,
    record: CallbackAttempt,
    payload: dict[str, Any],
) -> httpx.Response | None:
    """POST once and record the attempt; None when no HTTP answer came back."""
    headers = {state.callback_header: state.callback_secret} if state.callback_secret else {}
    try:
        response = await http.post(record.url, json=payload, headers=headers)
    except httpx.HTTPError as exc:
        record.error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        state.callbacks.append(record)
        return None
    record.status_code = response.status_code
    state.callbacks.append(record)
    return response


def schedule_status_callback(state: SandboxState, job_id: str, records: list[MessageRecord]) -> None:
    """Called once a send is accepted: post its status document later, in the background."""
    if state.callback_url is None or not records or records[0].channel == Channel.PUSH:
        return
    task = asyncio.create_task(
        _emit_status(state, state.callback_url + STATUS_PATH, job_id, records),
        name=f"sandbox status callback {job_id}",
    )
    state.pending.add(task)  # a strong reference, or the task may be collected mid-flight
    task.add_done_callback(state.pending.discard)


async def _emit_status(state: SandboxState, url: str, job_id: str, records: list[MessageRecord]) -> None:
    await asyncio.sleep(state.status_delay)
    for record in records:
        if record.status != "failed":  # undeliverable addresses were marked failed at submit
            record.status = "delivered"
    document = status_document(job_id, records)
    backoff = state.callback_backoff
    attempts = max(1, state.callback_attempts)
    async with httpx.AsyncClient(timeout=state.callback_timeout) as http:
        for attempt in range(1, attempts + 1):
            tried = CallbackAttempt(kind="status", url=url, attempt=attempt, job_id=job_id, at=utc_now())
            response = await _post(http, state, tried, document)
            if response is not None and response.status_code < 500:
                if not response.is_success:  # a 4xx will not get better by repeating it
                    log.warning(
                        "status callback for %s: %s answered %s: %s",
                        job_id,
                        url,
                        response.status_code,
                        response.text[:200],
                    )
                return
            if attempt < attempts:
                await asyncio.sleep(backoff)
                backoff *= 2
    log.warning(
        "status callback for %s to %s given up after %d attempts (%s)",
        job_id,
        url,
        attempts,
        tried.error or f"HTTP {tried.status_code}",
    )


# ---- simulated replies --------------------------------------------------------------------------


class ReplyRequest(BaseModel):
    """`POST /sandbox/reply` body: what the customer sends back."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    sender: str = Field(alias="from", min_length=1, description="the customer's phone, email or push token")
    text: str = ""
    channel: Channel = Channel.SMS
    to: str | None = Field(default=None, description="our sender id / short code / reply address")
    reference: str | None = Field(default=None, description="the message key replied to, if known")
    action: str | None = Field(default=None, description="push action id")

    @model_validator(mode="after")
    def _something_said(self) -> ReplyRequest:
        if not self.text and not self.action:
            raise ValueError("a reply needs a text (or, for push, an action)")
        return self


def _ingress_answer(response: httpx.Response) -> Response:
    if not response.content:
        return Response(status_code=response.status_code)
    try:
        content: Any = response.json()
    except ValueError:
        content = {"ingress_body": response.text}
    return JSONResponse(content, status_code=response.status_code)


@router.post("/sandbox/reply")
async def reply(body: ReplyRequest, state: State) -> Response:
    """Simulate a customer message: stored (the outbox shows it in the customer's thread) and
    forwarded to the ingress's inbound callback like OpenText would. Answers with the ingress's
    status and JSON body, or 502 when there is no ingress to forward to."""
    message = InboundMessage(
        channel=body.channel,
        sender=body.sender,
        text=body.text,
        received_at=utc_now(),
        to=body.to,
        provider_message_id=state.take_reply_id(),
        reference=body.reference,
        action=body.action,
    )
    assert message.provider_message_id is not None
    stored = ReplyRecord(
        channel=message.channel,
        sender=message.sender,
        to=message.to,
        text=message.text,
        received_at=message.received_at,
        message_id=message.provider_message_id,
        reference=message.reference,
        action=message.action,
    )
    state.replies.append(stored)
    if state.callback_url is None:
        stored.callback_error = "no callback_url configured"
        raise HTTPException(
            502,
            "the sandbox has no callback_url, so there is no ingress to forward the reply to "
            "(start it with one: `tidings sandbox` points it at the ingress)",
        )
    url = state.callback_url + INBOUND_PATH
    attempt = CallbackAttempt(
        kind="inbound", url=url, attempt=1, message_id=message.provider_message_id, at=utc_now()
    )
    async with httpx.AsyncClient(timeout=state.callback_timeout) as http:
        response = await _post(http, state, attempt, inbound_payload(message))
    if response is None:
        stored.callback_error = attempt.error
        raise HTTPException(502, f"the ingress at {url} is unreachable: {attempt.error}")
    stored.callback_status = response.status_code
    return _ingress_answer(response)


@router.get("/sandbox/replies")
async def list_replies(state: State, sender: str | None = None) -> list[ReplyRecord]:
    """Every simulated customer message, oldest first; `sender` filters on the exact address."""
    return state.replies_matching(sender)


@router.get("/sandbox/callbacks")
async def list_callbacks(state: State) -> list[CallbackAttempt]:
    """Every callback attempt to the ingress (status and inbound), in the order they finished."""
    return state.callbacks


@router.delete("/sandbox/callbacks")
async def clear_callbacks(state: State) -> dict[str, int]:
    deleted = len(state.callbacks)
    state.callbacks.clear()
    return {"deleted": deleted}
