"""Account and loyalty events (data: the OCAPI customer profile, with c_* facts): customer.registered
/ .verification / .password_reset / .profile_changed / .security_changed / .address_changed /
.payment_method_expiring / .suggestions and loyalty.points_earned / .reward_expiring / .tier_changed."""

from __future__ import annotations

from typing import Final

from connectors.errors import WebhookPayloadError
from connectors.sfcc.customer_profiles import CustomerProfile, end_of_month
from connectors.sfcc.envelope import Envelope, Handler, new_event, read_data
from connectors.sfcc.status_map import PickupMethods
from domain.events import AccountPayload, CommerceEvent, EventType


def _profile(envelope: Envelope) -> tuple[CustomerProfile, str]:
    profile = read_data(CustomerProfile, envelope)
    key = profile.key()
    if key is None:  # the schema asks for one of them; an empty string gets here
        raise WebhookPayloadError("$.data: needs customer_no or customer_id")
    return profile, key


def _account(event_type: EventType) -> Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        profile, key = _profile(envelope)
        account = AccountPayload(customer_id=key, detail=profile.c_change, link=profile.c_link)
        events = [new_event(envelope, event_type, customer=profile.customer_ref(), account=account)]
        if event_type is EventType.PROFILE_CHANGED and profile.birthday is not None:
            # The lifecycle journey keeps birthdays (and tiers) for its own messages.
            facts = AccountPayload(
                customer_id=key, birthday=f"{profile.birthday:%m-%d}", tier=profile.c_tier, detail="birthday"
            )
            events.append(
                new_event(
                    envelope,
                    EventType.CUSTOMER_UPDATED,
                    suffix=":customer",
                    customer=profile.customer_ref(),
                    account=facts,
                )
            )
        return events

    return handle


def _payment_method_expiring(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
    profile, key = _profile(envelope)
    expiring = sorted(
        (
            (expiry, instrument)
            for instrument in profile.payment_instruments
            if (expiry := instrument.expiry())
        ),
        key=lambda pair: pair[0],
    )
    if not expiring:
        raise WebhookPayloadError("$.data.payment_instruments: no instrument has an expiry month and year")
    (year, month), instrument = expiring[0]
    account = AccountPayload(
        customer_id=key, detail=instrument.masked(), expires_at=end_of_month(year, month)
    )
    return [
        new_event(
            envelope, EventType.PAYMENT_METHOD_EXPIRING, customer=profile.customer_ref(), account=account
        )
    ]


def _loyalty(event_type: EventType) -> Handler:
    def handle(envelope: Envelope, methods: PickupMethods) -> list[CommerceEvent]:
        profile, key = _profile(envelope)
        account = AccountPayload(
            customer_id=key,
            detail=profile.c_change,
            points=profile.c_points,
            balance=profile.c_pointsBalance,
            tier=profile.c_tier,
            previous_tier=profile.c_previousTier,
            amount=profile.c_rewardValue,
            currency=profile.c_rewardCurrency,
            expires_at=profile.c_rewardExpiresAt,
            products=profile.c_products,
        )
        return [new_event(envelope, event_type, customer=profile.customer_ref(), account=account)]

    return handle


HANDLERS: Final[dict[str, Handler]] = {
    "customer.registered": _account(EventType.ACCOUNT_REGISTERED),
    "customer.verification": _account(EventType.ACCOUNT_VERIFICATION),
    "customer.password_reset": _account(EventType.PASSWORD_RESET),
    "customer.profile_changed": _account(EventType.PROFILE_CHANGED),
    "customer.security_changed": _account(EventType.SECURITY_CHANGED),
    "customer.address_changed": _account(EventType.ADDRESS_CHANGED),
    "customer.payment_method_expiring": _payment_method_expiring,
    "customer.suggestions": _loyalty(EventType.PRODUCT_SUGGESTIONS),
    "loyalty.points_earned": _loyalty(EventType.POINTS_EARNED),
    "loyalty.reward_expiring": _loyalty(EventType.REWARD_EXPIRING),
    "loyalty.tier_changed": _loyalty(EventType.TIER_CHANGED),
}
