"""The platform clients the activities use, one per platform, behind `CommercePlatformClient`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from activities.errors import to_application_error, unsupported_platform
from connectors.errors import ProviderError
from connectors.platform import CommercePlatformClient
from domain.events import Platform

T = TypeVar("T")

NOT_FOUND = "NotFound"  # the ApplicationError type of "the platform has no such thing"

PlatformClients = Mapping[Platform, CommercePlatformClient]


async def on_platform(
    clients: PlatformClients, platform: Platform, use: Callable[[CommercePlatformClient], Awaitable[T]]
) -> T:
    """Every platform call from an activity: the platform's client, its errors in Temporal's retry
    terms (permanent errors carry a type the workflow can branch on)."""
    client = clients.get(platform)
    if client is None:
        raise unsupported_platform(platform.value)
    try:
        return await use(client)
    except ProviderError as exc:
        if exc.kind == "not_found" or exc.kind.endswith("NotFound"):
            exc.kind = NOT_FOUND  # one type for every platform: workflows branch on it
        raise to_application_error(exc) from exc
