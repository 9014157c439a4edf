"""Opening and closing the conversations that route customers' replies to a journey."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from domain.notifications import Channel
from store.stores import Stores


class ConversationOpen(BaseModel):
    workflow_id: str
    code: str
    addresses: list[tuple[Channel, str]]
    options: list[str]


class ConversationActivities:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    @activity.defn(name="open_conversation")
    async def open_conversation(self, request: ConversationOpen) -> None:
        await self.stores.conversations.open(
            request.workflow_id, request.code, request.addresses, request.options
        )

    @activity.defn(name="close_conversation")
    async def close_conversation(self, workflow_id: str) -> None:
        await self.stores.conversations.close(workflow_id)
