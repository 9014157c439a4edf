"""The preferences API: what a customer chose (channels and addresses, marketing opt-ins per
channel, locale, time zone, quiet hours), behind a bearer token (`TIDINGS_API_TOKEN`).

The body is read by hand, after the token is checked (FastAPI reads a declared body before any
dependency runs), and under the ingress's JSON limits (connectors/safe_json.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from activities.addressing import InvalidAddress, e164
from connectors import safe_json
from connectors.errors import WebhookPayloadError
from domain import identifiers
from domain.events import Platform
from domain.preferences import Preferences
from domain.settings import Settings
from starter.api_auth import bearer_token
from starter.campaigns_api import inline_refs
from store.stores import Stores


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    content = {"error": message} if field is None else {"error": message, "field": field}
    return JSONResponse(content, status_code=status)


def _bad_key(platform: Platform, store: str, customer_id: str) -> JSONResponse | None:
    """400 naming the path segment that is no id of the platform (they key stored rows)."""
    try:
        identifiers.check(platform, "store", store)
        identifiers.check(platform, "customer_id", customer_id)
    except identifiers.InvalidIdentifier as exc:
        return _error(400, str(exc), exc.field)
    return None


def router(settings: Settings) -> APIRouter:
    authorised = bearer_token(settings)

    api = APIRouter(
        prefix="/customers/{platform}/{store}/{customer_id}/preferences",
        tags=["preferences"],
        dependencies=[Depends(authorised)],
    )

    @api.get("", response_model=Preferences, responses={400: {}, 404: {}})
    async def get_preferences(platform: Platform, store: str, customer_id: str, request: Request) -> Any:
        if (bad := _bad_key(platform, store, customer_id)) is not None:
            return bad
        stores: Stores = request.app.state.stores
        prefs = await stores.preferences.get(platform.value, store, customer_id)
        if prefs is None:
            return JSONResponse(
                {"error": f"no preferences for {platform}/{store}/{customer_id}"}, status_code=404
            )
        return prefs

    @api.put(
        "",
        response_model=Preferences,
        responses={400: {}, 422: {}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": inline_refs(Preferences.model_json_schema())}},
            }
        },
    )
    async def put_preferences(platform: Platform, store: str, customer_id: str, request: Request) -> Any:
        """Replace the customer's preferences. 400: not JSON, over a limit, a bad id or phone;
        422: JSON that is not preferences (the field is named)."""
        if (bad := _bad_key(platform, store, customer_id)) is not None:
            return bad
        try:
            prefs = Preferences.model_validate(safe_json.loads(await request.body()))
        except WebhookPayloadError as exc:
            return _error(400, str(exc))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in first["loc"]) or "body"
            return _error(422, f"{field}: {first['msg']}", field)
        if prefs.phone:
            try:
                prefs = prefs.model_copy(update={"phone": e164(prefs.phone, "US")})
            except InvalidAddress as exc:
                return _error(400, f"phone: {exc}", "phone")
        stores: Stores = request.app.state.stores
        return await stores.preferences.put(platform.value, store, customer_id, prefs)

    return api
