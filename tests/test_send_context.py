"""A send reads what it needs from the store in one transaction: the ledger claim, the customer's
preferences and the opt-outs of every address it could use, with the same answers as the separate
lookups. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from sqlalchemy import event

from domain.notifications import Category, Channel, MessageResult, MessageStatus
from domain.preferences import Preferences
from store.opt_outs import SCOPE_ALL, SCOPE_MARKETING
from store.stores import Stores
from tests.test_store import message

PHONE, EMAIL = "+14155550101", "ada@example.com"


async def test_one_transaction_claims_the_key_and_reads_preferences_and_opt_outs(stores: Stores) -> None:
    store = f"s{uuid.uuid4().hex[:6]}"
    customer = f"bigcommerce:{store}:7"
    prefs = Preferences(email=EMAIL, marketing_opt_in=[Channel.SMS])
    await stores.preferences.put("bigcommerce", store, "7", prefs)
    await stores.opt_outs.opt_out(Channel.SMS, PHONE, SCOPE_ALL, "sms STOP")
    await stores.opt_outs.opt_out(Channel.EMAIL, EMAIL, SCOPE_MARKETING, "unsubscribe")
    request = message(f"k-{uuid.uuid4().hex}", customer)
    seen: list[Preferences | None] = []

    def addresses(p: Preferences | None) -> list[tuple[Channel, str]]:
        seen.append(p)
        return [(Channel.SMS, PHONE), (Channel.EMAIL, EMAIL)]

    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(stores.engine.sync_engine, "commit", committed)
    try:
        context = await stores.sends.claim(request, addresses)
    finally:
        event.remove(stores.engine.sync_engine, "commit", committed)

    assert len(commits) == 1
    assert context.existing is None and seen == [context.preferences]
    assert context.preferences is not None and context.preferences.email == EMAIL
    for channel, address in ((Channel.SMS, PHONE), (Channel.EMAIL, EMAIL)):
        for category in Category:
            assert context.blocks(channel, address, category) == await stores.opt_outs.blocks(
                channel, address, category
            )
    assert context.blocks(Channel.SMS, PHONE, Category.TRANSACTIONAL) == "sms opted out (sms STOP)"
    assert context.blocks(Channel.EMAIL, EMAIL, Category.TRANSACTIONAL) is None

    # the key is claimed: a second send finds it, and once finished it is never sent again
    again = await stores.sends.claim(request, addresses)
    assert again.existing is not None and again.existing.status == "sending"
    await stores.ledger.finish(
        MessageResult(key=request.key, status=MessageStatus.SENT, channel=Channel.SMS, job_id="j1"), PHONE
    )
    done = await stores.sends.claim(request, addresses)
    assert (
        done.existing is not None and done.existing.status == "sent" and done.existing.delivery == "pending"
    )
