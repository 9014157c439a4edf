"""The webhook ingress: verify → parse → signal-with-start, and answer 2xx only once Temporal
has accepted every event of the request. Nothing here calls a platform API (hydration is an activity).

Answers: 202 accepted · 200 ignored (a scope we do not handle) · 400 malformed, over a JSON limit,
an unknown shape or an identifier its platform never sends (`field` names it) · 401 not authentic,
decided on the raw bytes before anything is parsed · 413 body over `TIDINGS_MAX_BODY_BYTES` · 503 +
Retry-After only when Temporal cannot be reached, so the platform retries (starter/unreachable.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client

from connectors import sap_commerce, sfcc
from connectors.bigcommerce.signature import peek_store_hash, verify_webhook
from connectors.bigcommerce.webhooks import parse_webhook
from connectors.errors import WebhookAuthError, WebhookPayloadError
from connectors.webhook import ParsedWebhook
from domain.events import Platform
from domain.identifiers import InvalidIdentifier, check_event
from domain.settings import Settings
from starter import callbacks, campaigns_api, customers_api, preferences_api, subscriptions_api
from starter.body_limit import BodyLimit
from starter.journeys import NoJourney, deliver_all, derived_events
from starter.observability.metrics import instrument_metrics
from starter.observability.tracing import instrument_app
from starter.temporal_client import connect
from starter.unreachable import failure_answer
from store.stores import Stores

log = logging.getLogger("tidings.ingress")

SIGNAL_DEADLINE_SECONDS = 10.0

ClientFactory = Callable[[], Awaitable[Client]]
StoresFactory = Callable[[], Awaitable[Stores]]


def _error(status: int, message: str, *, field: str | None = None, **headers: str) -> JSONResponse:
    content = {"error": message} if field is None else {"error": message, "field": field}
    return JSONResponse(content, status_code=status, headers=headers or None)


def create_app(
    settings: Settings,
    client_factory: ClientFactory | None = None,
    stores_factory: StoresFactory | None = None,
) -> FastAPI:
    async def default_client() -> Client:
        return await connect(settings, lazy=True)

    async def default_stores() -> Stores:
        # Production: `tidings migrate` is the only migrator; here the schema must be current.
        return await Stores.open(settings.database_url, migrate=settings.env != "production")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.client = await (client_factory or default_client)()
        app.state.stores = await (stores_factory or default_stores)()
        try:
            yield
        finally:
            if stores_factory is None:
                await app.state.stores.close()

    app = FastAPI(
        title="Tidings ingress",
        summary="Commerce webhooks and OpenText callbacks into durable Temporal journeys",
        lifespan=lifespan,
        # Production turns these off: they describe every endpoint to anyone (TIDINGS_INGRESS_DOCS).
        docs_url="/docs" if settings.ingress_docs else None,
        redoc_url="/redoc" if settings.ingress_docs else None,
        openapi_url="/openapi.json" if settings.ingress_docs else None,
    )

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # A bug of ours: a 500 in the same JSON shape (the server logs the traceback), never a 503.
        return _error(500, "internal error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own answers (401 from the token check, 404, 405) in the ingress's shape; `detail`
        # stays for clients that read FastAPI's.
        content = {"error": str(exc.detail), "detail": exc.detail}
        return JSONResponse(content, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        # A path or query parameter FastAPI refused (bodies are read by hand, under safe_json's limits).
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"][1:]) or "request"
        return _error(422, f"{field}: {first['msg']}", field=field)

    app.include_router(callbacks.router(settings))
    app.include_router(preferences_api.router(settings))
    app.include_router(campaigns_api.router(settings))
    app.include_router(subscriptions_api.router(settings))
    app.include_router(customers_api.router(settings))  # DELETE: erasure (starter/erasure.py)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/webhooks/bigcommerce",
        status_code=202,
        responses={200: {"description": "ignored scope"}, 400: {}, 401: {}, 503: {}},
    )
    async def bigcommerce_webhook(request: Request) -> Any:
        body = await request.body()
        store_hash = peek_store_hash(body)
        config = settings.store_config(Platform.BIGCOMMERCE, store_hash) if store_hash else None
        secret = (config.webhook_secret if config else None) or settings.bigcommerce_client_secret
        header_secret = settings.bigcommerce_header_secret
        try:
            verify_webhook(
                request.headers,
                body,
                client_secret=secret.get_secret_value() if secret else None,
                header_name=settings.bigcommerce_header_name,
                header_secret=header_secret.get_secret_value() if header_secret else None,
            )
        except WebhookAuthError as exc:
            return _error(401, str(exc))
        try:
            parsed = parse_webhook(body)
        except WebhookPayloadError as exc:
            return _error(400, str(exc))
        return await _accept(request, settings, parsed)

    @app.post(
        "/webhooks/sfcc",
        status_code=202,
        responses={200: {"description": "ignored event type"}, 400: {}, 401: {}, 503: {}},
    )
    async def sfcc_webhook(request: Request) -> Any:
        """The SFCC envelope (connectors/sfcc/envelope.schema.json) or an Order Management platform
        event, HMAC-signed with the site's secret."""

        body = await request.body()
        site = sfcc.peek_site_id(body)
        config = settings.store_config(Platform.SFCC, site) if site else None
        secret = (config.webhook_secret if config else None) or settings.sfcc_webhook_secret
        try:
            sfcc.verify_webhook(request.headers, body, secret=secret.get_secret_value() if secret else None)
        except WebhookAuthError as exc:
            return _error(401, str(exc))
        try:
            parsed = sfcc.parse_webhook(body)
        except WebhookPayloadError as exc:
            return _error(400, str(exc))
        return await _accept(request, settings, parsed)

    @app.post(
        "/webhooks/sap-commerce",
        status_code=202,
        responses={200: {"description": "ignored item type"}, 400: {}, 401: {}, 503: {}},
    )
    async def sap_commerce_webhook(request: Request) -> Any:
        """The integration-object JSON `webhookservices` posts, with the consumed destination's
        Basic credentials or bearer token."""

        body = await request.body()
        params = dict(request.query_params)
        site = sap_commerce.peek_site(body, params)
        config = settings.store_config(Platform.SAP_COMMERCE, site) if site else None
        user = (config.webhook_user if config else None) or settings.sap_webhook_user
        password = (config.webhook_password if config else None) or settings.sap_webhook_password
        token = (config.webhook_token if config else None) or settings.sap_webhook_token
        try:
            sap_commerce.verify_request(
                request.headers,
                user=user,
                password=password.get_secret_value() if password else None,
                bearer_token=token.get_secret_value() if token else None,
            )
        except WebhookAuthError as exc:
            return _error(401, str(exc))
        try:
            parsed = sap_commerce.parse_webhook(body, params, request.headers)
        except WebhookPayloadError as exc:
            return _error(400, str(exc))
        return await _accept(request, settings, parsed)

    instrument_metrics(app)
    instrument_app(app)
    return app


async def _accept(request: Request, settings: Settings, parsed: ParsedWebhook) -> JSONResponse:
    """Signal every event of one webhook; 202 only once Temporal accepted them all. Every identifier
    is checked before the first signal, so a refused request starts nothing."""
    if parsed.ignored:
        return JSONResponse({"status": "ignored", "reason": parsed.ignored}, status_code=200)
    try:
        for event in parsed.events:
            for each in (event, *derived_events(event)):
                check_event(each)
    except InvalidIdentifier as exc:
        return _error(400, str(exc), field=exc.field)
    client: Client = request.app.state.client
    workflow_ids: list[str] = []
    ignored: list[str] = []
    try:
        for event in parsed.events:
            try:
                delivered = await asyncio.wait_for(
                    deliver_all(client, settings, event), SIGNAL_DEADLINE_SECONDS
                )
            except NoJourney as exc:  # our mapping has no journey for it: retrying cannot help
                log.warning("no journey for %s event %s: %s", parsed.scope, event.event_id, exc)
                ignored.append(str(exc))
                continue
            workflow_ids.extend(delivered)
    except Exception as exc:  # an outage is a 503 the platform retries; a refusal a 400
        return failure_answer(exc, log, f"webhook {parsed.scope}")
    answer: dict[str, object] = {"status": "accepted", "workflow_ids": workflow_ids}
    if ignored:
        answer["ignored"] = ignored
    return JSONResponse(answer, status_code=202)
