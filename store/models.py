"""Tables. Every change here comes with a migration in `store/migrations/versions/`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class MessageRow(Base):
    """One row per message key: what makes sending exactly-once, and what receipts update."""

    __tablename__ = "messages"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(300), index=True)
    journey: Mapped[str] = mapped_column(String(60))
    template: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    customer_key: Mapped[str | None] = mapped_column(String(300), nullable=True, index=True)
    channel: Mapped[str | None] = mapped_column(String(10), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # sending, sent, failed, suppressed
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    segments: Mapped[int | None] = mapped_column(Integer, nullable=True)
    address_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    delivery: Mapped[str | None] = mapped_column(String(20), nullable=True)  # pending, delivered, failed
    delivery_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PreferencesRow(Base):
    """A customer's own choices, kept per platform, store and customer id."""

    __tablename__ = "preferences"

    platform: Mapped[str] = mapped_column(String(30), primary_key=True)
    store: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    push_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    channels: Mapped[str | None] = mapped_column(
        String(60), nullable=True
    )  # preferred order, comma-separated
    marketing_email: Mapped[bool] = mapped_column(Boolean, default=False)
    marketing_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    marketing_push: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    time_zone: Mapped[str | None] = mapped_column(String(60), nullable=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "21:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "08:00"
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OptOutRow(Base):
    """An address that said no: SMS STOP (scope `all`) or an email unsubscribe (scope `marketing`).
    Kept by address hash, so it holds for every customer and journey using that address."""

    __tablename__ = "opt_outs"

    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # all, marketing
    source: Mapped[str] = mapped_column(String(100))  # e.g. "sms STOP", "email opt-out event"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InboundRow(Base):
    """Every message a customer sent us, with what we did with it: nothing accepted is lost."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(300), nullable=True)
    action: Mapped[str | None] = mapped_column(String(60), nullable=True)
    handling: Mapped[str] = mapped_column(String(40))  # opted_out, opted_in, routed, unmatched …
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConversationRow(Base):
    """An open exchange a journey waits on: replies from one of its addresses are routed to it."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(300), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(12))  # short reference a customer can quote
    options: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # the answers it expects, comma-separated
    status: Mapped[str] = mapped_column(String(10))  # open, closed
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CustomerRow(Base):
    """What campaigns segment on, one row per customer: recorded by the CustomerLifecycle as the
    platform tells it (profile, loyalty tier, orders). Country upper-case, language and tier lower-case."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_page", "store", "platform", "customer_id"),)

    platform: Mapped[str] = mapped_column(String(30), primary_key=True)
    store: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    birthday: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "MM-DD"
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    last_order_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    total_spent: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    # What they bought, as "|a|b|" lower-case lists (store/customers.py): affinity segments.
    products: Mapped[str | None] = mapped_column(Text, nullable=True)
    brands: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
