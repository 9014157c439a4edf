"""`DELETE /customers/{platform}/{store}/{customer_id}`: forget a customer (starter/erasure.py), behind
the API's bearer token (`TIDINGS_API_TOKEN`). Answers what was removed and which journeys stopped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from domain.events import Platform
from domain.settings import Settings
from starter.api_auth import bearer_token
from starter.erasure import NotErasable, forget


def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/customers", tags=["erasure"], dependencies=[Depends(bearer_token(settings))])

    @api.delete("/{platform}/{store}/{customer_id}", responses={400: {}, 401: {}})
    async def forget_customer(platform: Platform, store: str, customer_id: str, request: Request) -> Any:
        try:
            report = await forget(
                request.app.state.client, request.app.state.stores, platform.value, store, customer_id
            )
        except NotErasable as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        return report.as_dict()

    return api
