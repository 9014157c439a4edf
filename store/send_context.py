"""What a send needs from the store, in one transaction: the ledger claim, the customer's preferences
and the opt-outs of every address the message could go to. Once per message, so one connection and
one commit instead of one per lookup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from domain.notifications import Category, Channel, MessageRequest
from domain.preferences import Preferences
from store.ledger import claim_in, hash_address
from store.models import MessageRow, OptOutRow
from store.opt_outs import block_reason, opt_outs_in
from store.preferences import preferences_in

# Given the preferences (None: the customer saved none), the (channel, address) pairs the message
# could be sent to, addresses as they would be used (phone numbers normalised).
AddressesFor = Callable[[Preferences | None], list[tuple[Channel, str]]]


@dataclass(frozen=True)
class SendContext:
    existing: MessageRow | None  # as `Ledger.claim` returns it: None when this call claimed the key
    preferences: Preferences | None
    opt_outs: dict[tuple[str, str], OptOutRow] = field(default_factory=dict)

    def blocks(self, channel: Channel, address: str, category: Category) -> str | None:
        """As `OptOutStore.blocks`, from what the claim read."""
        return block_reason(self.opt_outs.get((channel.value, hash_address(address))), channel, category)


class SendContextStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def claim(self, request: MessageRequest, addresses: AddressesFor) -> SendContext:
        async with self._sessions() as session, session.begin():
            prefs = None
            if request.customer_key:
                platform, store, customer_id = request.customer_key.split(":", 2)
                prefs = await preferences_in(session, platform, store, customer_id)
            opt_outs = await opt_outs_in(session, addresses(prefs))
            existing = await claim_in(session, request)
        return SendContext(existing, prefs, opt_outs)
