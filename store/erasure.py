"""Forgetting one customer in the store: their preferences, customer row, conversations and inbound
messages go; their ledger rows stay (they are what keeps a retried send from going out twice) with
the address hash alone, no free text that could quote an address.

Opt-outs stay too: they hold a hash only, and they are what keeps a forgotten address from being
messaged again when a platform sends the same customer back."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from store.ledger import hash_address
from store.models import ConversationRow, CustomerRow, InboundRow, MessageRow, PreferencesRow


@dataclass(frozen=True)
class StoreErasure:
    preferences: int
    customer_rows: int
    conversations: int
    inbound_messages: int
    ledger_rows_scrubbed: int
    address_hashes: int  # the distinct addresses (as hashes) whose replies and conversations went


async def forget_customer(
    engine: AsyncEngine, platform: str, store: str, customer_id: str, workflow_ids: Collection[str] = ()
) -> StoreErasure:
    """In one transaction. `workflow_ids`: the customer's journeys, whose conversations and ledger
    rows are theirs even where no address of theirs is on record any more."""
    key = (platform, store, customer_id)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        prefs = await session.get(PreferencesRow, key)
        customer = await session.get(CustomerRow, key)
        addresses = {
            a
            for row in (prefs, customer)
            if row is not None
            for a in (row.email, row.phone, getattr(row, "push_token", None))
            if a
        }
        ledger_of_theirs = or_(
            MessageRow.customer_key == ":".join(key),  # their messages, from any journey
            MessageRow.workflow_id.in_(list(workflow_ids)),
        )
        ledger = list((await session.scalars(select(MessageRow).where(ledger_of_theirs))).all())
        # Addresses the customer was messaged at; not those of their journeys' team alerts (ops, store).
        customer_key = ":".join(key)
        messaged = {r.address_hash for r in ledger if r.address_hash and r.customer_key == customer_key}
        hashes = {hash_address(a) for a in addresses} | messaged

        scrubbed = 0
        for message in ledger:
            if message.reason is not None or message.delivery_detail is not None:
                message.reason, message.delivery_detail = None, None
                scrubbed += 1
        inbound = await session.execute(delete(InboundRow).where(InboundRow.sender_hash.in_(hashes)))
        conversations = await session.execute(
            delete(ConversationRow).where(
                or_(
                    ConversationRow.address_hash.in_(hashes),
                    ConversationRow.workflow_id.in_(list(workflow_ids)),
                )
            )
        )
        for gone in (prefs, customer):
            if gone is not None:
                await session.delete(gone)
    return StoreErasure(
        preferences=int(prefs is not None),
        customer_rows=int(customer is not None),
        conversations=_count(conversations),
        inbound_messages=_count(inbound),
        ledger_rows_scrubbed=scrubbed,
        address_hashes=len(hashes),
    )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
