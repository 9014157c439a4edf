"""The whole store over one engine, opened once per process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from store.conversations import ConversationStore
from store.customers import CustomerStore
from store.db import open_engine, require_current_schema
from store.inbound import InboundLog
from store.ledger import Ledger
from store.opt_outs import OptOutStore
from store.preferences import PreferenceStore
from store.send_context import SendContextStore


@dataclass
class Stores:
    engine: AsyncEngine
    ledger: Ledger
    preferences: PreferenceStore
    opt_outs: OptOutStore
    inbound: InboundLog
    conversations: ConversationStore
    customers: CustomerStore
    sends: SendContextStore  # claim + preferences + opt-outs of one send, in one transaction

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Stores:
        """`migrate=False` (production): the schema must already be current (`tidings migrate`)."""
        engine = await open_engine(url, run_migrations=migrate)
        if not migrate:
            await require_current_schema(engine)
        return cls(
            engine,
            Ledger(engine),
            PreferenceStore(engine),
            OptOutStore(engine),
            InboundLog(engine),
            ConversationStore(engine),
            CustomerStore(engine),
            SendContextStore(engine),
        )

    async def close(self) -> None:
        await self.engine.dispose()
