"""Conversations: replies find the journey awaiting them. One row per address a journey can be
answered from (an SMS number, an email address, a push token), all with the journey's short code."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from domain.notifications import Channel
from store.ledger import hash_address
from store.models import ConversationRow


class ConversationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def open(
        self, workflow_id: str, code: str, addresses: list[tuple[Channel, str]], options: list[str]
    ) -> None:
        """Idempotent: a retried activity finds the rows it wrote."""
        async with self._sessions() as session, session.begin():
            existing = await session.scalars(
                select(ConversationRow).where(ConversationRow.workflow_id == workflow_id)
            )
            known = {(row.channel, row.address_hash) for row in existing}
            now = datetime.now(UTC)
            for channel, address in addresses:
                key = (channel.value, hash_address(address))
                if key in known:
                    continue
                session.add(
                    ConversationRow(
                        workflow_id=workflow_id,
                        channel=key[0],
                        address_hash=key[1],
                        code=code,
                        options=",".join(options) or None,
                        status="open",
                        opened_at=now,
                    )
                )

    async def close(self, workflow_id: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.workflow_id == workflow_id, ConversationRow.status == "open")
                .values(status="closed", closed_at=datetime.now(UTC))
            )

    async def open_for(self, channel: Channel, address: str) -> list[ConversationRow]:
        """The sender's open conversations on this channel, most recent first."""
        async with self._sessions() as session:
            found = await session.scalars(
                select(ConversationRow)
                .where(
                    ConversationRow.channel == channel.value,
                    ConversationRow.address_hash == hash_address(address),
                    ConversationRow.status == "open",
                )
                .order_by(ConversationRow.opened_at.desc(), ConversationRow.id.desc())
            )
            return list(found)
