"""Campaigns: one promotional message to a segment of a store's customers, at a set rate.

A `CampaignSpec` is what a marketer starts (CLI or `POST /campaigns`): the segment, the content and
the rate. Unknown fields are refused here, unlike the platforms' wire shapes: a misspelt filter that
was silently ignored would widen the audience to every customer of the store.

`CustomerFacts` is what the customers table knows about one customer (the CustomerLifecycle records
it as events arrive); segments filter on it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from domain.events import Platform
from domain.notifications import Channel, DeliveryPolicy, Recipient
from domain.settings import Settings

CAMPAIGN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
TEMPLATE_STEP_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"


def language_of(locale: str | None) -> str | None:
    """ "de_AT", "de-AT", "DE" → "de"."""
    if not locale or not locale.strip():
        return None
    return locale.strip().replace("-", "_").split("_")[0].lower()


def affinity_key(name: str) -> str:
    """How purchase history is kept and asked for: trimmed, lower-case, no "|" (the list separator)."""
    return " ".join(name.replace("|", " ").split()).lower()


class CustomerFacts(BaseModel):
    """One customer as segments see them. None means "not known": an upsert leaves it as it was."""

    platform: Platform
    store: str
    customer_id: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    locale: str | None = None
    country: str | None = None  # ISO 3166 alpha-2
    tier: str | None = None
    birthday: str | None = None  # "MM-DD"
    orders_count: int | None = None  # only ever raised by an upsert
    last_order_at: datetime | None = None  # only ever moved forward by an upsert
    total_spent: Decimal | None = None
    # Purchase history (added to, never taken from): SKUs, product ids and names; brands.
    products: list[str] | None = None
    brands: list[str] | None = None

    @property
    def language(self) -> str | None:
        return language_of(self.locale)

    @property
    def customer_key(self) -> str:
        return f"{self.platform.value}:{self.store}:{self.customer_id}"

    def recipient(self) -> Recipient:
        return Recipient(
            customer_id=self.customer_id,
            name=self.name,
            email=self.email,
            phone=self.phone,
            locale=self.locale,
            country=self.country,
        )


def _names(value: list[str] | None, field: str) -> list[str] | None:
    if value is None:
        return None
    cleaned = [v.strip() for v in value if v and v.strip()]
    if not cleaned:
        raise ValueError(f"{field} must name at least one value (leave it out to not filter on it)")
    return cleaned


class SegmentFilter(BaseModel):
    """Which customers of the store: every given filter must hold (lists: any of their values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: list[str] | None = None  # ISO 3166 alpha-2, e.g. ["DE", "AT"]
    language: list[str] | None = None  # e.g. ["de"]; matches the language of the customer's locale
    tier: list[str] | None = None  # loyalty tiers, e.g. ["gold", "platinum"]
    ordered_within_days: float | None = Field(default=None, gt=0)  # at least one order in the last N days
    not_ordered_within_days: float | None = Field(default=None, gt=0)  # ordered before, but not in N days
    min_orders: int | None = Field(default=None, ge=1)
    never_ordered: bool = False
    bought: list[str] | None = None  # product affinity: bought any of these (SKU, product id or name)
    brand: list[str] | None = None  # brand affinity: bought any product of these brands

    @field_validator("bought", "brand")
    @classmethod
    def _affinity(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        names = _names(value, info.field_name or "affinity")
        return None if names is None else sorted({affinity_key(n) for n in names})

    @field_validator("country")
    @classmethod
    def _countries(cls, value: list[str] | None) -> list[str] | None:
        names = _names(value, "country")
        if names is None:
            return None
        bad = [n for n in names if len(n) != 2 or not n.isalpha()]
        if bad:
            raise ValueError(f"not ISO 3166 alpha-2 country codes: {', '.join(bad)}")
        return sorted({n.upper() for n in names})

    @field_validator("language")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        names = _names(value, "language")
        return None if names is None else sorted({language_of(n) or n for n in names})

    @field_validator("tier")
    @classmethod
    def _tiers(cls, value: list[str] | None) -> list[str] | None:
        names = _names(value, "tier")
        return None if names is None else sorted({n.lower() for n in names})

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.never_ordered and (
            self.ordered_within_days or self.not_ordered_within_days or self.min_orders
        ):
            raise ValueError("never_ordered cannot be combined with filters on orders")
        if (
            self.ordered_within_days
            and self.not_ordered_within_days
            and self.not_ordered_within_days <= self.ordered_within_days
        ):
            raise ValueError("ordered_within_days and not_ordered_within_days exclude each other")
        return self

    def describe(self) -> str:
        parts = []
        for label, values in (("country", self.country), ("language", self.language), ("tier", self.tier)):
            if values:
                parts.append(f"{label} {'/'.join(values)}")
        if self.ordered_within_days:
            parts.append(f"ordered in {self.ordered_within_days:g} d")
        if self.not_ordered_within_days:
            parts.append(f"no order in {self.not_ordered_within_days:g} d")
        if self.min_orders:
            parts.append(f"≥{self.min_orders} orders")
        if self.never_ordered:
            parts.append("never ordered")
        if self.bought:
            parts.append(f"bought {'/'.join(self.bought)}")
        if self.brand:
            parts.append(f"brand {'/'.join(self.brand)}")
        return ", ".join(parts) or "every customer"


class CampaignContent(BaseModel):
    """What the marketer wrote; the templates around it are translated, the content is as given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(min_length=1, max_length=150)  # email subject, push title
    text: str = Field(min_length=1, max_length=4000)  # email body (plain text, paragraphs)
    short_text: str | None = Field(default=None, min_length=1, max_length=200)  # SMS and push; default: text
    link: str | None = Field(default=None, pattern=r"^https?://\S+$")
    code: str | None = Field(default=None, min_length=1, max_length=40)  # a discount code

    def as_context(self) -> dict[str, str | None]:
        return {
            "subject": self.subject,
            "text": self.text,
            "short_text": self.short_text or self.text,
            "link": self.link,
            "code": self.code,
        }


class CampaignSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    store: str = Field(min_length=1, max_length=100)
    campaign_id: str = Field(pattern=CAMPAIGN_ID_PATTERN)
    platform: Platform | None = None  # None: the store's customers on every platform
    segment: SegmentFilter  # required: {} (every customer) must be said, not defaulted
    content: CampaignContent
    translations: dict[str, CampaignContent] = Field(default_factory=dict)  # by language: "de" …
    template: str = Field(
        default="promotion", pattern=TEMPLATE_STEP_PATTERN
    )  # activities/templates/campaign/
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL], min_length=1)
    rate: float = Field(default=10.0, gt=0, le=1000)  # messages per second, this campaign alone

    @field_validator("translations")
    @classmethod
    def _by_language(cls, value: dict[str, CampaignContent]) -> dict[str, CampaignContent]:
        return {language_of(k) or k: v for k, v in value.items()}

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[Channel]) -> list[Channel]:
        return list(dict.fromkeys(value))

    def content_for(self, language: str | None) -> CampaignContent:
        return self.translations.get(language or "", self.content)


class CampaignPolicy(BaseModel):
    """How a campaign runs (from configuration at start; fixed in the run's history)."""

    page_size: int = Field(default=200, ge=1, le=1000)  # customers read per `audience_page` call
    max_batch: int = Field(default=50, ge=1, le=500)  # sends in flight at once (pending activities ≪ 2,000)
    tick: timedelta = timedelta(seconds=1)  # a batch is `rate × tick` sends, then a durable timer
    max_deferred: int = Field(default=2000, ge=1)  # waiting out quiet hours; more: stop reading new pages
    history_limit: int = Field(default=10_000, ge=50)  # events before continue-as-new (warning at 10,240)
    send_task_queue: str | None = None  # the bulk queue, whose worker caps sends per second overall
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> CampaignPolicy:
        return cls(send_task_queue=settings.bulk_task_queue, delivery=settings.delivery_policy())

    def batch(self, rate: float) -> tuple[int, timedelta]:
        """Sends per batch and the time a batch takes at `rate`: 20/s → 20 every second, 0.5/s → 1
        every 2 s, 200/s → 50 every 0.25 s."""
        size = max(1, min(self.max_batch, math.floor(rate * self.tick.total_seconds())))
        return size, timedelta(seconds=size / rate)


class AudienceCursor(BaseModel):
    """Where the previous page ended: customers are read in (platform, customer_id) order."""

    platform: Platform
    customer_id: str


class CampaignProgress(BaseModel):
    """The numbers add up: sent + suppressed + failed + remaining == audience; deferred ⊆ remaining."""

    audience: int = 0  # customers in the segment (counted at start; grows if the segment does)
    sent: int = 0
    suppressed: int = 0  # no consent, capped, opted out, no address: nothing sent, on purpose
    failed: int = 0
    deferred: int = 0  # waiting for a recipient's quiet hours to end
    remaining: int = 0
    delivered: int = 0  # receipts from OpenText so far (a subset of sent)
    bounced: int = 0  # failed delivery receipts (a subset of sent)
    suppressed_by: dict[str, int] = Field(default_factory=dict)  # reason code → count

    @property
    def processed(self) -> int:
        return self.sent + self.suppressed + self.failed

    def fraction(self) -> float:
        return 1.0 if self.audience == 0 else self.processed / self.audience


class CampaignStatus(BaseModel):
    workflow_id: str
    store: str
    campaign_id: str
    state: str  # starting, sending, paused, waiting (only quiet-hours sends left), completed, cancelled
    segment: str
    rate: float
    progress: CampaignProgress
    started_at: datetime | None = None
    finished_at: datetime | None = None
    runs: int = 1  # continue-as-new generations so far

    @property
    def done(self) -> bool:
        return self.state in ("completed", "cancelled")
