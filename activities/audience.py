"""The customers table from the workflows' side: the CustomerLifecycle records what it learns about a
customer (`record_customer`); a Campaign counts its segment once (`audience_count`) and reads it a
page at a time (`audience_page`), so no run ever holds the whole audience in its history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from temporalio import activity

from domain.campaign import AudienceCursor, CustomerFacts, SegmentFilter
from domain.events import Platform
from store.stores import Stores


class AudienceQuery(BaseModel):
    store: str
    platform: Platform | None = None
    segment: SegmentFilter
    as_of: datetime  # "ordered in the last N days" is judged at the campaign's start, every page alike
    after: AudienceCursor | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class AudiencePage(BaseModel):
    customers: list[CustomerFacts]
    next: AudienceCursor | None  # None: this was the last page


class AudienceActivities:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    @activity.defn(name="record_customer")
    async def record_customer(self, facts: CustomerFacts) -> None:
        await self.stores.customers.upsert(facts)

    @activity.defn(name="audience_count")
    async def audience_count(self, query: AudienceQuery) -> int:
        return await self.stores.customers.count(query.store, query.platform, query.segment, query.as_of)

    @activity.defn(name="audience_page")
    async def audience_page(self, query: AudienceQuery) -> AudiencePage:
        customers = await self.stores.customers.page(
            query.store, query.platform, query.segment, query.as_of, query.after, query.limit
        )
        last = customers[-1] if len(customers) == query.limit else None
        return AudiencePage(
            customers=customers,
            next=AudienceCursor(platform=last.platform, customer_id=last.customer_id) if last else None,
        )
