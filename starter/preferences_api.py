"""The preferences API: what a customer chose (channels and addresses, marketing opt-ins per
channel, locale, time zone, quiet hours), behind a bearer token (`TIDINGS_API_TOKEN`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from activities.addressing import InvalidAddress, e164
from domain.events import Platform
from domain.preferences import Preferences
from domain.settings import Settings
from starter.api_auth import bearer_token
from store.stores import Stores


def router(settings: Settings) -> APIRouter:
    authorised = bearer_token(settings)

    api = APIRouter(
        prefix="/customers/{platform}/{store}/{customer_id}/preferences",
        tags=["preferences"],
        dependencies=[Depends(authorised)],
    )

    @api.get("", response_model=Preferences, responses={404: {}})
    async def get_preferences(platform: Platform, store: str, customer_id: str, request: Request) -> Any:
        stores: Stores = request.app.state.stores
        prefs = await stores.preferences.get(platform.value, store, customer_id)
        if prefs is None:
            return JSONResponse(
                {"error": f"no preferences for {platform}/{store}/{customer_id}"}, status_code=404
            )
        return prefs

    @api.put("", response_model=Preferences, responses={400: {}})
    async def put_preferences(
        platform: Platform, store: str, customer_id: str, prefs: Preferences, request: Request
    ) -> Any:
        if prefs.phone:
            try:
                prefs = prefs.model_copy(update={"phone": e164(prefs.phone, "US")})
            except InvalidAddress as exc:
                return JSONResponse({"error": f"phone: {exc}"}, status_code=400)
        stores: Stores = request.app.state.stores
        return await stores.preferences.put(platform.value, store, customer_id, prefs)

    return api
