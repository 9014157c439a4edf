"""The OCAPI customer profile that account and loyalty events carry, with its payment instruments
and the loyalty c_* facts the merchant's loyalty integration keeps on it. Customers are keyed as
`documents.customer_key` says."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import Field

from connectors.sfcc.documents import Doc, Text, customer_key
from connectors.wire import full_name
from domain.events import CustomerRef


class PaymentCard(Doc):
    expiration_month: int | None = None
    expiration_year: int | None = None
    masked_number: Text = None


class PaymentInstrument(Doc):
    # The brief's flat fields, or OCAPI's customer payment instrument with a nested payment_card.
    expiration_month: int | None = None
    expiration_year: int | None = None
    masked_card_number: Text = None
    payment_card: PaymentCard | None = None

    def expiry(self) -> tuple[int, int] | None:
        card = self.payment_card or PaymentCard()
        month = self.expiration_month or card.expiration_month
        year = self.expiration_year or card.expiration_year
        # 9998: the month's end must still be a datetime (a year past that is no card's expiry).
        if month is None or year is None or not 1 <= month <= 12 or not 1 <= year <= 9998:
            return None
        return year, month

    def masked(self) -> str | None:
        return self.masked_card_number or (self.payment_card.masked_number if self.payment_card else None)


class CustomerProfile(Doc):
    customer_id: Text = None
    customer_no: Text = None
    email: Text = None
    first_name: Text = None
    last_name: Text = None
    phone_mobile: Text = None
    phone_home: Text = None
    preferred_locale: Text = None
    birthday: date | None = None
    payment_instruments: list[PaymentInstrument] = Field(default_factory=list)
    c_change: Text = None
    c_link: Text = None
    # Loyalty, kept by the merchant's loyalty integration on the profile.
    c_points: int | None = None
    c_pointsBalance: int | None = None
    c_tier: Text = None
    c_previousTier: Text = None
    c_rewardValue: Decimal | None = None
    c_rewardCurrency: Text = None
    c_rewardExpiresAt: datetime | None = None
    c_products: list[str] = Field(default_factory=list)

    def key(self) -> str | None:
        return customer_key(self.customer_no, self.customer_id)

    def customer_ref(self) -> CustomerRef:
        return CustomerRef(
            customer_id=self.key(),
            email=self.email,
            phone=self.phone_mobile or self.phone_home,
            name=full_name(self.first_name, self.last_name),
            locale=self.preferred_locale,
        )


def end_of_month(year: int, month: int) -> datetime:
    """The last second of the month, UTC: a card that expires 05/27 works through 31 May 2027."""
    last_day = calendar.monthrange(year, month)[1]
    return datetime(year, month, last_day, tzinfo=UTC) + timedelta(days=1) - timedelta(seconds=1)
