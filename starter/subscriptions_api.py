"""The subscriptions API: a customer asks to hear when a product is back in stock or cheaper.

`POST /subscriptions` turns the request into the canonical PRODUCT_WATCHED event (the same one the
platforms' wishlist events become) and hands it to the product's journey like any webhook event,
answering 202 only once Temporal accepted it. The event id is a digest of the request, so a retried
request is the same event. `DELETE /subscriptions` ends a customer's watch. Bearer token
`TIDINGS_API_TOKEN`, as for the preferences API.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.addressing import InvalidAddress, e164
from connectors import safe_json
from connectors.errors import WebhookPayloadError
from domain import identifiers
from domain.events import (
    CommerceEvent,
    CustomerRef,
    EventType,
    Platform,
    ProductPayload,
    WatchKind,
    product_workflow_id,
)
from domain.notifications import Channel
from domain.settings import Settings
from starter.api_auth import bearer_token
from starter.journeys import SIGNAL_RPC_TIMEOUT, deliver_event
from starter.unreachable import failure_answer
from workflows.product_watch_state import Unsubscription

log = logging.getLogger("tidings.subscriptions")

SIGNAL_DEADLINE_SECONDS = 10.0

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOCALE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")


class WatchTarget(BaseModel):
    """Whose watch on which product."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    platform: Platform
    store: str
    customer_id: str
    sku: str

    def check_keys(self) -> None:
        """Store, customer and SKU go into workflow ids and message keys: each must be an id of
        the platform (domain/identifiers.py), else `InvalidIdentifier` naming it."""
        for field in ("store", "customer_id", "sku"):
            identifiers.check(self.platform, field, getattr(self, field))


class SubscriptionRequest(WatchTarget):
    kind: WatchKind
    channel: Channel
    email: str | None = None
    phone: str | None = None
    push_token: str | None = None
    locale: str | None = None
    name: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("not an email address")
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        if value is not None and not _LOCALE.fullmatch(value):
            raise ValueError("not a locale such as 'en' or 'de-AT'")
        return value


class Unsubscribe(WatchTarget):
    kind: WatchKind | None = None  # None: every watch the customer has on the product


def subscription_event(request: SubscriptionRequest, now: datetime | None = None) -> CommerceEvent:
    """The canonical PRODUCT_WATCHED event for a request; the same request gives the same event id."""
    digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()[:32]
    return CommerceEvent(
        event_id=f"subscription:{digest}",
        platform=request.platform,
        store=request.store,
        type=EventType.PRODUCT_WATCHED,
        occurred_at=now or datetime.now(UTC),
        customer=CustomerRef(
            customer_id=request.customer_id,
            email=request.email,
            phone=request.phone,
            name=request.name,
            locale=request.locale,
        ),
        product=ProductPayload(sku=request.sku, watch=request.kind, channel=request.channel.value),
        raw_scope="POST /subscriptions",
        extra={"push_token": request.push_token} if request.push_token else {},
    )


def _error(status: int, message: str, *, field: str | None = None, **headers: str) -> JSONResponse:
    content = {"error": message} if field is None else {"error": message, "field": field}
    return JSONResponse(content, status_code=status, headers=headers or None)


def _problems(exc: ValidationError) -> str:
    """`kind: Input should be 'back_in_stock' or 'price_drop'; sku: Field required`."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


async def _parse(request: Request, model: type[WatchTarget]) -> WatchTarget | JSONResponse:
    try:
        body = safe_json.loads(await request.body())
    except WebhookPayloadError as exc:  # not JSON, or over the ingress's JSON limits
        return _error(400, str(exc))
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    try:
        parsed = model.model_validate(body)
        parsed.check_keys()
    except ValidationError as exc:
        return _error(400, _problems(exc))
    except identifiers.InvalidIdentifier as exc:
        return _error(400, str(exc), field=exc.field)
    return parsed


def router(settings: Settings) -> APIRouter:
    authorised = bearer_token(settings)

    api = APIRouter(prefix="/subscriptions", tags=["subscriptions"], dependencies=[Depends(authorised)])
    body_doc: dict[str, Any] = {
        "required": True,
        "content": {"application/json": {"schema": SubscriptionRequest.model_json_schema()}},
    }

    @api.post(
        "",
        status_code=202,
        responses={400: {}, 401: {}, 503: {}},
        openapi_extra={"requestBody": body_doc},
    )
    async def subscribe(request: Request) -> Any:
        """Watch a product for a restock or a price drop. 202 `{workflow_id, event_id}` once the
        product's journey has the subscription."""
        parsed = await _parse(request, SubscriptionRequest)
        if isinstance(parsed, JSONResponse):
            return parsed
        assert isinstance(parsed, SubscriptionRequest)
        store_settings = settings.for_store(parsed.platform, parsed.store)
        if parsed.phone:
            try:
                parsed = parsed.model_copy(
                    update={"phone": e164(parsed.phone, store_settings.default_region)}
                )
            except InvalidAddress as exc:
                return _error(400, f"phone: {exc}")
        missing = await _missing_address(request, parsed)
        if missing:
            return _error(400, missing)
        event = subscription_event(parsed)
        client: Client = request.app.state.client
        try:
            workflow_id = await asyncio.wait_for(
                deliver_event(client, settings, event), SIGNAL_DEADLINE_SECONDS
            )
        except Exception as exc:
            return failure_answer(exc, log, f"subscription {event.event_id}")
        return JSONResponse(
            {"status": "accepted", "workflow_id": workflow_id, "event_id": event.event_id}, status_code=202
        )

    @api.delete("", status_code=202, responses={400: {}, 401: {}, 404: {}, 503: {}})
    async def unsubscribe(request: Request) -> Any:
        """End a customer's watch (of one `kind`, or all of them) on a product."""
        parsed = await _parse(request, Unsubscribe)
        if isinstance(parsed, JSONResponse):
            return parsed
        assert isinstance(parsed, Unsubscribe)
        workflow_id = product_workflow_id(parsed.platform, parsed.store, parsed.sku)
        client: Client = request.app.state.client
        try:
            await client.get_workflow_handle(workflow_id).signal(
                "unsubscribe",
                Unsubscription(customer_id=parsed.customer_id, kind=parsed.kind),
                rpc_timeout=SIGNAL_RPC_TIMEOUT,
            )
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return _error(404, f"nobody watches {parsed.sku} in {parsed.platform}/{parsed.store}")
            return failure_answer(exc, log, f"unsubscribe {workflow_id}")
        return JSONResponse({"status": "accepted", "workflow_id": workflow_id}, status_code=202)

    return api


async def _missing_address(request: Request, parsed: SubscriptionRequest) -> str | None:
    """A subscription by a channel needs an address on it: given here or in the customer's preferences."""
    field = {Channel.EMAIL: "email", Channel.SMS: "phone", Channel.PUSH: "push_token"}[parsed.channel]
    if getattr(parsed, field):
        return None
    stores = getattr(request.app.state, "stores", None)
    if stores is not None:
        prefs = await stores.preferences.get(parsed.platform.value, parsed.store, parsed.customer_id)
        if prefs is not None and getattr(prefs, field):
            return None
    return f"{field}: required to subscribe by {parsed.channel.value} (none given, none in the preferences)"
