"""Callbacks: writes back into the commerce platform's own processes (cancel and restock an
uncollected pickup, leave a staff note). One activity per write; idempotent on the platform side
(setting a status twice, or a note the order already carries, changes nothing)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.errors import to_application_error
from activities.platforms import PlatformClients, on_platform
from connectors.errors import ProviderError
from connectors.service_desk import ServiceDeskClient
from domain.events import Platform


class OrderWrite(BaseModel):
    platform: Platform
    store: str
    order_id: str
    note: str


class CaseWrite(BaseModel):
    """A customer's words (or the case's state) for the team that handles the case."""

    platform: Platform
    store: str
    case_id: str
    order_id: str | None
    event: str  # customer_reply, needs_agent
    text: str  # what the customer said, or what happened
    meaning: str | None = None  # the option the reply chose
    channel: str | None = None
    key: str  # idempotency key for targets that honour one


class CallbackActivities:
    def __init__(self, platforms: PlatformClients, service_desk: ServiceDeskClient | None = None) -> None:
        self.platforms = platforms
        self.service_desk = service_desk

    @activity.defn(name="record_case_update")
    async def record_case_update(self, write: CaseWrite) -> str:
        """Into the platform's own service process (BigCommerce: a staff note on the order; SFCC: a
        Service Cloud case comment; SAP Commerce: a comment on the return request), and to the
        generic signed HTTP target when one is configured (any other service desk)."""
        text = _describe(write)
        done = [
            await on_platform(
                self.platforms,
                write.platform,
                lambda p: p.add_case_comment(write.store, write.case_id, write.order_id, text),
            )
        ]
        if self.service_desk is not None:
            try:
                await self.service_desk.post(write.key, write.model_dump(mode="json"))
            except ProviderError as exc:
                raise to_application_error(exc) from exc
            done.append("service desk")
        return ", ".join(done)

    @activity.defn(name="cancel_and_restock")
    async def cancel_and_restock(self, write: OrderWrite) -> str:
        """Cancel the order so the platform puts its items back in stock, and say why in a note."""
        await on_platform(
            self.platforms,
            write.platform,
            lambda p: p.cancel_and_restock(write.store, write.order_id, write.note),
        )
        return f"order {write.order_id} cancelled in {write.platform}/{write.store}"

    @activity.defn(name="add_order_note")
    async def add_order_note(self, write: OrderWrite) -> str:
        """A note on the order for the merchant's team (e.g. the customer acknowledged a message)."""
        await on_platform(
            self.platforms,
            write.platform,
            lambda p: p.add_order_note(write.store, write.order_id, write.note),
        )
        return f"note on order {write.order_id}"


def _describe(write: CaseWrite) -> str:
    if write.event == "needs_agent":
        return f"needs an agent ({write.text})"
    if write.event == "acknowledged":
        what = write.meaning or "our"
        return f'customer acknowledged the {what} message by {write.channel}: "{write.text}"'

    said = f'customer replied by {write.channel or "message"}: "{write.text}"'
    return f"{said} ({write.meaning})" if write.meaning else said
