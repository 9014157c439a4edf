"""The bearer token every ingress API of ours (preferences, subscriptions, campaigns) requires."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.settings import Settings

BEARER = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def bearer_token(settings: Settings) -> Callable[[Credentials], None]:
    """A FastAPI dependency: 401 without `TIDINGS_API_TOKEN` configured, or without the right token."""

    def authorised(credentials: Credentials) -> None:
        token = settings.api_token.get_secret_value() if settings.api_token else None
        if token is None:
            raise HTTPException(401, "API token not configured (TIDINGS_API_TOKEN)")
        if credentials is None:
            raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(401, "wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    return authorised
