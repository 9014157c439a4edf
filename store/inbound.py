"""The inbound log: every customer message kept with its handling, and de-duplicated by the
provider's message id (OpenText retries webhooks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from domain.notifications import InboundMessage
from store.ledger import hash_address
from store.models import InboundRow


class InboundLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def seen(self, provider_message_id: str | None) -> InboundRow | None:
        if not provider_message_id:
            return None
        async with self._sessions() as session:
            found = await session.scalars(
                select(InboundRow).where(InboundRow.provider_message_id == provider_message_id)
            )
            return found.first()

    async def record(self, message: InboundMessage, handling: str, detail: str | None = None) -> InboundRow:
        async with self._sessions() as session, session.begin():
            row = InboundRow(
                provider_message_id=message.provider_message_id,
                channel=message.channel.value,
                sender_hash=hash_address(message.sender),
                text=message.text,
                reference=message.reference,
                action=message.action,
                handling=handling,
                detail=detail,
                received_at=message.received_at,
                recorded_at=datetime.now(UTC),
            )
            session.add(row)
        return row

    async def for_sender(self, sender: str) -> list[InboundRow]:
        async with self._sessions() as session:
            found = await session.scalars(
                select(InboundRow)
                .where(InboundRow.sender_hash == hash_address(sender))
                .order_by(InboundRow.id)
            )
            return list(found)
