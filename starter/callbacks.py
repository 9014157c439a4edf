"""OpenText's callbacks: delivery receipts and inbound messages.

Receipts update the ledger and are signalled to the journey that sent the message. Inbound SMS
keywords change consent at once (STOP opts the number out of every SMS, START opts it back in) and
start a `ConsentReply` for the confirmation. Other replies are routed to the journey awaiting the
sender (see `_route`); one that matches nothing gets a helpful answer. Every inbound message is kept
in the store with what was done with it. 200/202 only after all of that is durable; 503 only when the
store or Temporal is not reachable, so OpenText retries; 401 on the secret header before the body is
read; 400 for a body or identifier no one would send (it would fail the same way on every retry)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.addressing import InvalidAddress, e164
from connectors.errors import WebhookAuthError, WebhookPayloadError
from connectors.opentext.callbacks import parse_inbound, parse_status_webhook, verify_callback
from domain.consent import STOPPED, keyword_change
from domain.conversations import codes_in, without_codes
from domain.identifiers import InvalidIdentifier
from domain.notifications import Channel, DeliveryReceipt, InboundMessage
from domain.settings import Settings
from starter.unreachable import is_unreachable
from store.ledger import hash_address
from store.opt_outs import SCOPE_ALL, SCOPE_MARKETING
from store.stores import Stores
from workflows.consent_reply import ConsentReply, ConsentReplyInput

log = logging.getLogger("tidings.callbacks")
RETRY_AFTER = {"Retry-After": "30"}


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, *, field: str | None = None
) -> JSONResponse:
    content = {"error": message} if field is None else {"error": message, "field": field}
    return JSONResponse(content, status_code=status, headers=headers)


def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/callbacks/opentext", tags=["OpenText callbacks"])
    secret = (
        settings.opentext_callback_secret.get_secret_value() if settings.opentext_callback_secret else None
    )

    def authenticate(request: Request) -> None:
        verify_callback(request.headers, header_name=settings.opentext_callback_header, secret=secret)

    @api.post("/status", responses={400: {}, 401: {}, 503: {}})
    async def status_callback(request: Request) -> Any:
        try:
            authenticate(request)
            receipts = parse_status_webhook(await request.body())
        except WebhookAuthError as exc:
            return _error(401, str(exc))
        except WebhookPayloadError as exc:
            return _error(400, str(exc))
        except InvalidIdentifier as exc:
            return _error(400, str(exc), field=exc.field)
        stores: Stores = request.app.state.stores
        client: Client = request.app.state.client
        matched = 0
        try:
            for receipt in receipts:
                matched += await _apply_receipt(stores, client, receipt)
        except Exception as exc:
            if not is_unreachable(exc):
                raise  # not an outage: a retry would fail alike (500, logged)
            log.warning("could not apply receipts: %s", exc)  # OpenText retries the webhook
            return _error(503, "could not record the receipt; retry later", RETRY_AFTER)
        return {"receipts": len(receipts), "matched": matched}

    @api.post("/inbound", status_code=202, responses={400: {}, 401: {}, 503: {}})
    async def inbound_callback(request: Request) -> Any:
        try:
            authenticate(request)
            message = parse_inbound(await request.body())
        except WebhookAuthError as exc:
            return _error(401, str(exc))
        except WebhookPayloadError as exc:
            return _error(400, str(exc))
        except InvalidIdentifier as exc:
            return _error(400, str(exc), field=exc.field)
        stores: Stores = request.app.state.stores
        try:
            earlier = await stores.inbound.seen(message.provider_message_id)
            if earlier is not None:
                return JSONResponse({"status": "duplicate", "handling": earlier.handling}, status_code=200)
            handling, detail = await _handle_inbound(stores, request.app.state.client, settings, message)
            await stores.inbound.record(message, handling, detail)
        except Exception as exc:
            if not is_unreachable(exc):
                raise  # not an outage: a retry would fail alike (500, logged)
            log.warning("could not take inbound message: %s", exc)
            return _error(503, "could not record the message; retry later", RETRY_AFTER)
        return JSONResponse({"status": "accepted", "handling": handling, "detail": detail}, status_code=202)

    return api


async def _apply_receipt(stores: Stores, client: Client, receipt: DeliveryReceipt) -> int:
    if receipt.opted_out and receipt.address and receipt.channel is Channel.EMAIL:
        await stores.opt_outs.opt_out(Channel.EMAIL, receipt.address, SCOPE_MARKETING, "email opt-out event")
    row = await stores.ledger.record_receipt(receipt)
    if row is None:
        log.info("receipt for unknown job %s", receipt.job_id)
        return 0
    ours = receipt.model_copy(update={"message_key": row.key})
    try:
        await client.get_workflow_handle(row.workflow_id).signal("delivery_receipt", ours)
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        # the journey has completed: the ledger keeps the outcome
    return 1


async def _handle_inbound(
    stores: Stores, client: Client, settings: Settings, message: InboundMessage
) -> tuple[str, str | None]:
    sender = _normalised(message)
    change = keyword_change(message.text) if message.channel is Channel.SMS else None
    if change == STOPPED:
        await stores.opt_outs.opt_out(Channel.SMS, sender, SCOPE_ALL, f"sms {message.text.strip().upper()}")
    elif change is not None:
        await stores.opt_outs.opt_in(Channel.SMS, sender)
    if change is not None:
        await _answer(client, settings, message, sender, "consent", change)
        return ("opted_out" if change == STOPPED else "opted_in"), None
    return await _route(stores, client, settings, message.model_copy(update={"sender": sender}))


async def _route(
    stores: Stores, client: Client, settings: Settings, message: InboundMessage
) -> tuple[str, str | None]:
    """To the journey awaiting the sender: their most recent open conversation, or the one whose
    reference code the text quotes when they have several. Anything else gets a helpful answer."""
    if message.reference:  # a push action or reply that names the message it answers
        row = await stores.ledger.get(message.reference)
        if row is not None:
            return await _deliver(stores, client, settings, message, row.workflow_id, message.text)
    conversations = await stores.conversations.open_for(message.channel, message.sender)
    journeys = list(dict.fromkeys(row.workflow_id for row in conversations))  # most recent first
    target, text = (journeys[0], message.text) if len(journeys) == 1 else (None, message.text)
    if len(journeys) > 1:
        quoted = codes_in(message.text)
        chosen = next((row for row in conversations if row.code in quoted), None)
        if chosen is None:
            codes = list(dict.fromkeys(row.code for row in conversations))
            await _answer(client, settings, message, message.sender, "reply", "which_case", {"codes": codes})
            return "ambiguous", f"{len(journeys)} open conversations, no code quoted"
        target, text = chosen.workflow_id, without_codes(message.text, chosen.code)
    if target is None:
        await _answer(client, settings, message, message.sender, "reply", "unmatched")
        return "unmatched", "no open conversation for this sender"
    return await _deliver(stores, client, settings, message, target, text)


async def _deliver(
    stores: Stores, client: Client, settings: Settings, message: InboundMessage, target: str, text: str
) -> tuple[str, str | None]:
    try:
        await client.get_workflow_handle(target).signal(
            "customer_response", message.model_copy(update={"text": text})
        )
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        await stores.conversations.close(target)  # the journey ended without closing it
        await _answer(client, settings, message, message.sender, "reply", "unmatched")
        return "unmatched", f"{target} has ended"
    return "routed", target


def _normalised(message: InboundMessage) -> str:
    if message.channel is not Channel.SMS:
        return message.sender.strip().lower() if message.channel is Channel.EMAIL else message.sender
    try:
        return e164(message.sender, "US")
    except InvalidAddress:
        return message.sender


async def _answer(
    client: Client,
    settings: Settings,
    message: InboundMessage,
    sender: str,
    journey: str,
    step: str,
    context: dict[str, object] | None = None,
) -> None:
    """One message back, through Temporal so it is durable and sent once per inbound message."""
    dedupe = message.provider_message_id or message.received_at.isoformat()
    await client.start_workflow(
        ConsentReply.run,
        ConsentReplyInput(
            channel=message.channel,
            address=sender,
            keyword=message.text.strip()[:60],
            change=step,
            journey=journey,
            context=dict(context or {}),
        ),
        id=f"{journey}:{message.channel.value}:{hash_address(sender)[:16]}:{dedupe}",
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
