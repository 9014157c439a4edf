"""Customers: the facts campaigns segment on (country, language, loyalty tier, orders).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("platform", sa.String(30), primary_key=True),
        sa.Column("store", sa.String(100), primary_key=True),
        sa.Column("customer_id", sa.String(100), primary_key=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("locale", sa.String(20), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("tier", sa.String(40), nullable=True),
        sa.Column("birthday", sa.String(5), nullable=True),
        sa.Column("orders_count", sa.Integer, nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_spent", sa.Numeric(14, 2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Campaign pages walk one store's customers in (platform, customer_id) order.
    op.create_index("ix_customers_page", "customers", ["store", "platform", "customer_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_page", table_name="customers")
    op.drop_table("customers")
