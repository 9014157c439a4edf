"""Erasure of one customer (`tidings forget`, `DELETE /customers/{platform}/{store}/{id}`): their open
journeys are stopped first (so none writes about them again), then the store forgets them
(store/erasure.py). Closed histories stay in Temporal until the namespace's retention removes them;
their payloads are encrypted (starter/codec.py), and search attributes hold ids only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain import identifiers
from store.erasure import StoreErasure, forget_customer
from store.stores import Stores

REASON = "customer erasure: the customer's data was deleted on request"


class NotErasable(ValueError):
    """An id that names no single customer (or that a list filter could not quote)."""


@dataclass(frozen=True)
class ErasureReport:
    platform: str
    store: str
    customer_id: str
    journeys_stopped: list[str]
    journeys_closed: int  # closed histories: encrypted, gone at the namespace's retention
    removed: StoreErasure
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def journeys_filter(platform: str, store: str, customer_id: str) -> str:
    for name, value in (("platform", platform), ("store", store), ("customer_id", customer_id)):
        if any(c in value for c in "'\"\\") or not value.strip():
            raise NotErasable(f"{name}: {value!r} cannot be looked up")
    return f"Platform = '{platform}' AND StoreId = '{store}' AND CustomerId = '{customer_id}'"


async def forget(
    client: Client, stores: Stores, platform: str, store: str, customer_id: str
) -> ErasureReport:
    try:
        identifiers.check(platform, "store", store)
        identifiers.check(platform, "customer_id", customer_id)
    except identifiers.InvalidIdentifier as e:
        raise NotErasable(str(e)) from None
    query = journeys_filter(platform, store, customer_id)
    stopped: list[str] = []
    closed: list[str] = []
    async for execution in client.list_workflows(query):
        if execution.status == WorkflowExecutionStatus.RUNNING:
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            try:
                await handle.terminate(reason=REASON)
                stopped.append(execution.id)
                continue
            except RPCError as e:
                if e.status != RPCStatusCode.NOT_FOUND:  # not "finished meanwhile"
                    raise
            closed.append(execution.id)
        else:
            closed.append(execution.id)
    removed = await forget_customer(stores.engine, platform, store, customer_id, {*stopped, *closed})
    notes = [
        "closed histories remain until the namespace's retention period ends; their payloads are "
        "encrypted and unreadable without the keys"
    ]
    return ErasureReport(platform, store, customer_id, stopped, len(closed), removed, notes)
