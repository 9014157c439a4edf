"""The sandbox's imitation of OpenText Cloud Messaging: token endpoint, SMS / email / push submits
and the status calls (by job id, or by the reference a submit carried), with the wire shapes of
reference/opentext.md."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from connectors.sandbox.faults import DroppedAnswer, drops_answer, injected_fault
from connectors.sandbox.opentext_requests import email_records, push_records, sms_records
from connectors.sandbox.rejections import opentext_error
from connectors.sandbox.state import MessageRecord, SandboxState, get_state, utc_now
from connectors.sandbox.status_documents import status_document
from connectors.sandbox.webhooks import schedule_status_callback
from domain.notifications import Channel

router = APIRouter(tags=["OpenText"])

State = Annotated[SandboxState, Depends(get_state)]

RecordBuilder = Callable[..., list[MessageRecord]]


def _basic_user(authorization: str) -> str | None:
    """The user of a well-formed Basic header, else None. The sandbox accepts any credentials."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, _secret = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if sep and user else None


def require_api_auth(request: Request, state: State) -> None:
    """A Bearer token this sandbox issued (and not yet expired), or any Basic credentials."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        if state.token_valid(value.strip()):
            return
        raise opentext_error(401, "access token unknown or expired")
    if _basic_user(authorization) is not None:
        return
    raise opentext_error(401, "missing or malformed Authorization header")


Authorized = Depends(require_api_auth)


@router.post("/tenants/{tenant}/oauth2/token")
async def issue_token(tenant: str, request: Request, state: State) -> JSONResponse:
    # Form parsed by hand: FastAPI's Form() needs python-multipart, not worth a dependency here.
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    if _basic_user(request.headers.get("Authorization", "")) is None:
        return JSONResponse(
            {"error": "invalid_client", "error_description": "HTTP Basic client credentials required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="oauth2"'},
        )
    if form.get("grant_type") != ["client_credentials"]:
        return JSONResponse(
            {"error": "unsupported_grant_type", "error_description": "only client_credentials"},
            status_code=400,
        )
    return JSONResponse(
        {"access_token": state.issue_token(), "token_type": "Bearer", "expires_in": state.token_ttl},
        headers={"Cache-Control": "no-store"},
    )


async def _submit(request: Request, state: SandboxState, build: RecordBuilder) -> Response:
    submit_id = request.headers.get("X-MRA-SubmitId")
    fault = await injected_fault(state.faults, state.rng, submit_id)
    if fault is not None:
        return fault  # nothing stored: a send that failed was not sent
    try:
        payload: Any = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise opentext_error(400, f"body is not JSON: {exc}") from exc
    received_at: datetime = utc_now()
    # Peek, and take the id only once the request is valid, so rejected submits leave no gaps.
    job_id = state.upcoming_job_id()
    try:
        records = build(
            payload,
            job_id=job_id,
            received_at=received_at,
            submit_id=submit_id,
        )
    except ValueError as exc:
        raise opentext_error(400, str(exc)) from exc
    for record in records:
        if record.to in state.faults.undeliverable:
            record.status = "failed"
    state.take_job_id()
    state.messages.extend(records)
    schedule_status_callback(state, job_id, records)  # in the background, after status_delay
    if drops_answer(state.faults, state.rng, submit_id):
        return DroppedAnswer()  # accepted and stored, but the caller never hears the job id
    return JSONResponse({"job_id": job_id})


@router.post("/mra/v1/outbound/sms", dependencies=[Authorized])
async def submit_sms(request: Request, state: State) -> Response:
    return await _submit(request, state, sms_records)


@router.post("/mra/v1/outbound/emails", dependencies=[Authorized])
async def submit_email(request: Request, state: State) -> Response:
    return await _submit(request, state, email_records)


@router.post("/mra/v1/utils/parser", dependencies=[Authorized])
async def submit_push(request: Request, state: State) -> Response:
    return await _submit(request, state, push_records)


def _status(
    state: SandboxState, channel: Channel, job_id: str | None, customer_reference: str | None
) -> dict[str, Any]:
    """By `job_id`, or by the `customer_reference` / `X-MRA-SubmitId` a submit carried (the oldest
    such job on this channel): how a client that lost a submit's answer finds out it was accepted."""
    if job_id:
        records = [m for m in state.messages if m.job_id == job_id and m.channel == channel]
        if not records:
            raise opentext_error(404, f"no {channel.value} job {job_id}")
        return status_document(job_id, records)
    if customer_reference:
        matching = [
            m
            for m in state.messages
            if m.channel == channel and customer_reference in (m.reference, m.submit_id)
        ]
        if not matching:
            raise opentext_error(404, f"no {channel.value} job with reference {customer_reference}")
        first = matching[0].job_id
        return status_document(first, [m for m in matching if m.job_id == first])
    raise opentext_error(400, "query parameter job_id or customer_reference is required")


Reference = Annotated[str | None, Query()]


@router.get("/mra/v1/outbound/sms/status", dependencies=[Authorized])
async def sms_status(
    state: State, job_id: Reference = None, customer_reference: Reference = None
) -> dict[str, Any]:
    return _status(state, Channel.SMS, job_id, customer_reference)


@router.get("/mra/v1/outbound/emails/status", dependencies=[Authorized])
async def email_status(
    state: State, job_id: Reference = None, customer_reference: Reference = None
) -> dict[str, Any]:
    return _status(state, Channel.EMAIL, job_id, customer_reference)


@router.get("/mra/v1/utils/parser/status", dependencies=[Authorized])
async def push_status(
    state: State, job_id: Reference = None, customer_reference: Reference = None
) -> dict[str, Any]:
    return _status(state, Channel.PUSH, job_id, customer_reference)
