"""Every message template renders with realistic data, and strict undefined catches a missing variable.

Every message exists in every language we ship, amounts follow the locale, and the messages about an
order keep push short and plain, and SMS in one GSM-7 segment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from activities.rendering import TEMPLATE_DIR, Renderer
from connectors.opentext.sms import sms_encoding, sms_segments
from domain.notifications import Channel

LOCALES = ["en", "de", "fr", "es"]
TRANSLATIONS = [locale for locale in LOCALES if locale != "en"]
ORDER_JOURNEYS = (
    "order",
    "ops",
    "pickup",
    "review",
    "case",
)  # messages about one order, which they always name
PUSH_TITLE_MAX = 50
PUSH_BODY_MAX = 150


def all_templates() -> list[tuple[str, str, Channel, str]]:
    found = []
    for path in sorted(TEMPLATE_DIR.glob("*/*.j2")):
        if path.name.startswith("_"):  # partials
            continue
        step, channel, locale, _ = path.name.split(".")
        found.append((path.parent.name, step, Channel(channel), locale))
    return found


def messages(locale: str) -> set[str]:
    """`journey/step.channel` of every message template in the locale."""
    return {f"{journey}/{step}.{channel}" for journey, step, channel, loc in all_templates() if loc == locale}


def partials(locale: str) -> set[str]:
    """`journey/_name.kind` of every per-locale partial (`_lines.txt.de.j2`)."""
    found = set()
    for path in TEMPLATE_DIR.glob(f"*/_*.{locale}.j2"):
        name, kind, _, _ = path.name.split(".")
        found.add(f"{path.parent.name}/{name}.{kind}")
    return found


def order_messages(channel: Channel) -> list[tuple[str, str, Channel, str]]:
    """The channel's templates in the journeys about an order, in every locale."""
    return [t for t in all_templates() if t[2] is channel and t[0] in ORDER_JOURNEYS]


def context(with_shipment: bool) -> dict[str, object]:
    shipment = {
        "shipment_id": "1",
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "tracking_link": "https://t.example/1Z999",
    }
    order = {
        "order_id": "1042",
        "platform": "bigcommerce",
        "store": "abc123",
        "total": "1249.50",
        "currency": "EUR",
        "lines": [
            {"name": "Espresso <Machine>", "quantity": 1, "price": "1199.50"},
            {"name": "Descaler", "quantity": 2, "price": "25.00"},
        ],
        "shipments": [shipment] if with_shipment else [],
    }
    cart = {
        "platform": "bigcommerce",
        "store": "abc123",
        "cart_id": "0934-6904",
        "total": "1249.50",
        "currency": "EUR",
        "checkout_url": "https://abc123.example/cart.php?action=load&id=0934-6904",
        "lines": [
            {"name": "Espresso <Machine>", "quantity": 1, "price": "1199.50", "image_url": None, "url": None},
            {
                "name": "Descaler",
                "quantity": 2,
                "price": "25.00",
                "image_url": "https://img.example/d.png",
                "url": "https://abc123.example/descaler",
            },
        ],
    }
    return {
        "product": {
            "sku": "ESP-1",
            "name": "Espresso <Machine>",
            "url": "https://abc123.example/espresso-machine/",
            "price": "999.00",
            "previous_price": "1199.50",
            "drop_percent": 17,
            "currency": "EUR",
            "available": 3,
            "few_left": True,
            "threshold": 5,
            "reserved_until": "2026-11-28T18:00:00+00:00",
        },
        "loyalty": {
            "points": 120,
            "balance": 1520,
            "tier": "gold",
            "previous_tier": "silver",
            "upgrade": True,
            "reward": {
                "name": "Summer voucher",
                "amount": "10.00",
                "currency": "EUR",
                "expires_at": "2026-11-30T23:59:00+00:00",
            },
            "offer_code": "BDAY15",
            "suggestions": ["Descaler", "Milk Frother", "Espresso Cups (set of 4)"],
            "last_order_at": "2026-08-01T10:00:00+00:00",
        },
        "campaign": {
            "subject": "Autumn sale: 20 % off coffee",
            "text": "Our autumn sale has started.\n\n"
            "Every coffee & <espresso> machine is 20 % off until Sunday.",
            "short_text": "Autumn sale: 20 % off every coffee machine until Sunday.",
            "link": "https://abc123.example/sale",
            "code": "AUTUMN20",
        },
        "order": order,
        "cart": cart,
        "incentive_code": "COMEBACK10",
        "case": {"case_id": "order-1042", "kind": "return_request", "order_id": "1042", "detail": None},
        "code": "K7Q2",
        "options": [
            {"answer": "1", "meaning": "confirm", "label": "confirm the pickup slot"},
            {"answer": "2", "meaning": "agent", "label": "talk to an agent"},
        ],
        "choice": "talk to an agent",
        "codes": ["K7Q2", "M3XA"],
        "location": "Alexanderplatz store, Berlin",
        "deadline": "2026-11-28T18:00:00+00:00",
        "products": [
            {
                "name": "Espresso <Machine>",
                "image_url": None,
                "review_url": "https://abc123.example/espresso#write_review",
            },
            {
                "name": "Descaler",
                "image_url": "https://img.example/d.png",
                "review_url": "https://abc123.example/d",
            },
        ],
        "items": [
            {
                "name": "Descaler",
                "quantity": 2,
                "reorder_url": "https://abc123.example/cart.php?action=add&product_id=7&qty=2",
            }
        ],
        "customer": {"name": "Zoë & Co"},
        "shipment": shipment if with_shipment else None,
        "link": None,
        "stage": "payment_confirmed",
        "ship_sla_hours": 48.0,
        "estimate": "2026-12-10",  # order/delayed: the platform's new delivery estimate
        "shipping_method": "Express Overnight",
        # operations alerts (alerts/): one digest of a burst
        "alert": {
            "kind": "payment_gateway_error",
            "key": "payment_gateway_error",
            "team": "on_call",
            "count": 50,
            "first_at": "2026-11-23T10:01:02+00:00",
            "last_at": "2026-11-23T10:01:58+00:00",
            "samples": [
                {
                    "kind": "payment_gateway_error",
                    "at": "2026-11-23T10:01:02+00:00",
                    "detail": "capture failed: 2001 Card declined",
                    "order_id": "1042",
                    "sku": None,
                    "amount": "1249.50",
                    "currency": "EUR",
                }
            ],
            "more": 49,
            "window_minutes": 5,
            "spike_minutes": 60,
            "threshold": 10,
            "platform": "bigcommerce",
            "store": "abc123",
            "workflow_id": "alerts:bigcommerce:abc123:payment_gateway_error",
        },
        # account and security messages (account/)
        "account": {
            "customer_id": "77",
            "detail": "Visa ending 4242",
            "link": None,
            "expires_at": "2026-12-31T00:00:00+00:00",
            "amount": "49.90",
            "currency": "EUR",
        },
    }


def long_context() -> dict[str, object]:
    """The longest values we expect: a platform-length order id, a long carrier name, a long tracking
    number without a link (so push bodies spell it out) and a six-figure total."""
    ctx = context(True)
    shipment = {
        "shipment_id": "7",
        "carrier": "Deutsche Post DHL Parcel",
        "tracking_number": "JJD00012345678901234567",
        "tracking_link": None,
    }
    order = ctx["order"]
    assert isinstance(order, dict)
    order.update(order_id="4812345678901", total="123456.78", shipments=[shipment])
    ctx["shipment"] = shipment
    return ctx


@pytest.mark.parametrize(("journey", "step", "channel", "locale"), all_templates(), ids=str)
@pytest.mark.parametrize("with_shipment", [True, False], ids=["shipment", "no-shipment"])
def test_every_template_renders(
    journey: str, step: str, channel: Channel, locale: str, with_shipment: bool
) -> None:
    rendered = Renderer().render(journey, step, channel, locale, context(with_shipment))
    assert rendered.locale == locale  # its own template, no fallback
    assert "1042" in rendered.text or journey not in ORDER_JOURNEYS
    if channel is Channel.EMAIL:
        assert rendered.subject and "&amp;" not in rendered.subject
        assert "1042" in rendered.subject or journey not in ORDER_JOURNEYS
        assert rendered.html is not None and rendered.html.startswith("<!doctype html>")
        assert f'<html lang="{locale}">' in rendered.html
        assert (
            "Zoë &amp; Co" in rendered.html
            or journey in ("ops", "reply", "alerts")
            or step.startswith("team_")
        )  # autoescaped
        assert "<Machine>" not in rendered.html
        assert not re.search(r"1Z999\w", rendered.text), "tracking number glued to the next line"
    if channel is Channel.SMS:
        assert len(rendered.text) < 320 and "\n" not in rendered.text


@pytest.mark.parametrize("locale", TRANSLATIONS)
def test_every_message_exists_in_every_language(locale: str) -> None:
    assert messages(locale) == messages("en")
    assert partials(locale) == partials("en")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_order_sms_has_a_push_message(locale: str) -> None:
    steps = messages(locale)
    sms = {name.removesuffix(".sms") for name in steps if name.startswith("order/") and name.endswith(".sms")}
    push = {
        name.removesuffix(".push") for name in steps if name.startswith("order/") and name.endswith(".push")
    }
    assert sms and push == sms


def test_amounts_are_formatted_for_the_locale() -> None:
    rendered = Renderer().render("order", "payment_confirmed", Channel.EMAIL, "en", context(False))
    assert "€1,249.50" in rendered.text


# The exact strings babel (CLDR) gives: a no-break space before the euro sign, a narrow no-break space
# between French thousands.
@pytest.mark.parametrize(
    "locale, total, line",
    [
        pytest.param("en", "€1,249.50", "€1,199.50", id="en"),
        pytest.param("de", "1.249,50\u00a0€", "1.199,50\u00a0€", id="de"),
        pytest.param("fr", "1\u202f249,50\u00a0€", "1\u202f199,50\u00a0€", id="fr"),
        pytest.param("es", "1.249,50\u00a0€", "1.199,50\u00a0€", id="es"),
    ],
)
def test_amounts_follow_each_locale(locale: str, total: str, line: str) -> None:
    renderer = Renderer()
    email = renderer.render("order", "payment_confirmed", Channel.EMAIL, locale, context(False))
    assert total in email.text and line in email.text
    assert email.html is not None and total in email.html and line in email.html
    push = renderer.render("order", "payment_confirmed", Channel.PUSH, locale, context(False))
    assert total in push.text
    # SMS swaps the no-break spaces for plain ones, which GSM-7 has.
    sms = renderer.render("order", "payment_confirmed", Channel.SMS, locale, context(False))
    assert total.replace("\u00a0", " ").replace("\u202f", " ") in sms.text


@pytest.mark.parametrize(("journey", "step", "channel", "locale"), order_messages(Channel.PUSH), ids=str)
@pytest.mark.parametrize(
    "ctx",
    [context(True), context(False), long_context()],
    ids=["shipment", "no-shipment", "long-values"],
)
def test_push_messages_are_short_plain_text(
    journey: str, step: str, channel: Channel, locale: str, ctx: dict[str, object]
) -> None:
    rendered = Renderer().render(journey, step, channel, locale, ctx)
    title, body = rendered.subject or "", rendered.text
    assert title and body
    assert len(title) <= PUSH_TITLE_MAX, title
    assert len(body) <= PUSH_BODY_MAX, body
    assert "\n" not in title and "\n" not in body
    source = (TEMPLATE_DIR / journey / f"{step}.{channel.value}.{locale}.j2").read_text()
    assert not re.search(r"<[a-z/!]", source), "push templates are plain text"
    for text in (title, body):
        assert not re.search(r"&(amp|lt|gt|quot|#\d+);", text), "no HTML entities in a push"
    shipment = ctx["shipment"]
    if step in {"shipped", "partially_shipped"} and isinstance(shipment, dict):
        if step == "shipped":
            assert shipment["carrier"] in body
        if not shipment["tracking_link"]:
            assert shipment["tracking_number"] in body


@pytest.mark.parametrize(("journey", "step", "channel", "locale"), order_messages(Channel.SMS), ids=str)
@pytest.mark.parametrize("with_shipment", [True, False], ids=["shipment", "no-shipment"])
def test_sms_fits_one_gsm7_segment(
    journey: str, step: str, channel: Channel, locale: str, with_shipment: bool
) -> None:
    ctx = context(with_shipment)
    ctx["customer"] = {"name": "Sam Lee"}  # a name outside GSM-7 is the customer's, not the template's
    text = Renderer().render(journey, step, channel, locale, ctx).text
    assert sms_encoding(text) == "GSM-7", [char for char in text if sms_encoding(char) != "GSM-7"]
    assert sms_segments(text) == 1, f"{len(text)} characters: {text}"


def test_unknown_locale_falls_back_to_english() -> None:
    rendered = Renderer().render("order", "shipped", Channel.SMS, "xx_YY", context(True))
    assert rendered.locale == "en" and "UPS" in rendered.text


def test_a_regional_locale_uses_its_language() -> None:
    rendered = Renderer().render("order", "shipped", Channel.SMS, "de-AT", context(True))
    assert rendered.locale == "de" and "UPS" in rendered.text


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    ctx = context(False)
    del ctx["customer"]
    with pytest.raises(UndefinedError):
        Renderer().render("order", "delivered", Channel.EMAIL, "en", ctx)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_missing_variable_is_an_error_in_every_language(locale: str) -> None:
    ctx = context(False)
    del ctx["customer"]
    with pytest.raises(UndefinedError):
        Renderer().render("order", "delivered", Channel.EMAIL, locale, ctx)
