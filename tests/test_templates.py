"""Every message template renders with realistic data, and strict undefined catches a missing variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from activities.rendering import TEMPLATE_DIR, Renderer
from domain.notifications import Channel


def all_templates() -> list[tuple[str, str, Channel, str]]:
    found = []
    for path in sorted(TEMPLATE_DIR.glob("*/*.j2")):
        if path.name.startswith("_"):  # partials
            continue
        step, channel, locale, _ = path.name.split(".")
        found.append((path.parent.name, step, Channel(channel), locale))
    return found


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
    return {
        "order": order,
        "customer": {"name": "Zoë & Co"},
        "shipment": shipment if with_shipment else None,
        "link": None,
        "stage": "payment_confirmed",
        "ship_sla_hours": 48.0,
    }


@pytest.mark.parametrize(("journey", "step", "channel", "locale"), all_templates(), ids=str)
@pytest.mark.parametrize("with_shipment", [True, False], ids=["shipment", "no-shipment"])
def test_every_template_renders(
    journey: str, step: str, channel: Channel, locale: str, with_shipment: bool
) -> None:
    rendered = Renderer().render(journey, step, channel, locale, context(with_shipment))
    assert "1042" in rendered.text
    if channel is Channel.EMAIL:
        assert rendered.subject and "1042" in rendered.subject and "&amp;" not in rendered.subject
        assert rendered.html is not None and rendered.html.startswith("<!doctype html>")
        assert "Zoë &amp; Co" in rendered.html or journey == "ops"  # autoescaped
        assert "<Machine>" not in rendered.html
    if channel is Channel.SMS:
        assert len(rendered.text) < 320 and "\n" not in rendered.text


def test_amounts_are_formatted_for_the_locale() -> None:
    rendered = Renderer().render("order", "payment_confirmed", Channel.EMAIL, "en", context(False))
    assert "€1,249.50" in rendered.text


def test_unknown_locale_falls_back_to_english() -> None:
    rendered = Renderer().render("order", "shipped", Channel.SMS, "xx_YY", context(True))
    assert rendered.locale == "en" and "UPS" in rendered.text


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    ctx = context(False)
    del ctx["customer"]
    with pytest.raises(UndefinedError):
        Renderer().render("order", "delivered", Channel.EMAIL, "en", ctx)
