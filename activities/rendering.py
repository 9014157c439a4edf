"""Message templates are data: `activities/templates/{journey}/{step}.{channel}.{locale}.j2`.

Sandboxed jinja2 with `StrictUndefined`, so a missing variable is an error, never an empty hole.
An email template extends `_layout.html.j2` and defines the blocks `subject`, `text` and `content`:
the whole template, rendered with autoescape, is the HTML part, while `subject` and `text` are rendered
on their own without it (two environments over the same files), so a subject never shows `&amp;`.
A push template defines `title` and `body`; an SMS template is its whole text. A locale falls back to
its language (`de_CH` → `de`) and then to `en`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_currency
from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from domain.notifications import Channel

TEMPLATE_DIR = Path(__file__).parent / "templates"
FALLBACK_LOCALE = "en"


@dataclass(frozen=True)
class Rendered:
    locale: str  # the locale actually used, after fallback
    text: str  # SMS text, push body, or the email's plain-text part
    subject: str | None = None  # email subject or push title
    html: str | None = None


def _environment(autoescape: bool, locale_holder: dict[str, str]) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )

    def money(amount: Any, currency: str) -> str:
        return format_currency(Decimal(str(amount)), currency, locale=locale_holder["locale"])

    def date(value: Any) -> str:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return format_date(when, format="medium", locale=locale_holder["locale"])

    def when(value: Any) -> str:
        """Date and hour:minute in the locale's order, with the zone (deadlines are UTC)."""
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        locale = locale_holder["locale"]
        day = format_date(moment, format="medium", locale=locale)
        hour = format_time(moment, format="short", tzinfo=moment.tzinfo, locale=locale)
        return f"{day} {hour} {moment.tzname() or ''}".strip()

    env.filters["money"] = money
    env.filters["date"] = date
    env.filters["datetime"] = when
    return env


def _gsm_spaces(text: str) -> str:
    """Locale formats put no-break spaces in amounts; in an SMS one such character would switch the
    whole text from GSM-7 to UCS-2 (70 characters a segment instead of 160)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


class Renderer:
    def __init__(self) -> None:
        self._locale: dict[str, str] = {"locale": FALLBACK_LOCALE}
        self._plain = _environment(False, self._locale)
        self._html = _environment(True, self._locale)

    def _candidates(self, locale: str) -> list[str]:
        norm = locale.replace("-", "_")
        out = [norm, norm.split("_")[0], FALLBACK_LOCALE]
        return list(dict.fromkeys(out))

    def _find(
        self, env: SandboxedEnvironment, journey: str, step: str, channel: Channel, locale: str
    ) -> Template:
        for candidate in self._candidates(locale):
            try:
                template = env.get_template(f"{journey}/{step}.{channel.value}.{candidate}.j2")
            except TemplateNotFound:
                continue
            self._locale["locale"] = candidate
            return template
        raise TemplateNotFound(
            f"{journey}/{step}.{channel.value}.{{{','.join(self._candidates(locale))}}}.j2"
        )

    @staticmethod
    def _block(template: Template, name: str, context: dict[str, Any]) -> str:
        if name not in template.blocks:
            raise TemplateNotFound(f"{template.name} has no block '{name}'")
        return "".join(template.blocks[name](template.new_context(context))).strip()

    def render(
        self, journey: str, step: str, channel: Channel, locale: str, context: dict[str, Any]
    ) -> Rendered:
        plain = self._find(self._plain, journey, step, channel, locale)
        used = self._locale["locale"]
        if channel is Channel.SMS:
            return Rendered(locale=used, text=_gsm_spaces(plain.render(context).strip()))
        if channel is Channel.PUSH:
            return Rendered(
                locale=used,
                subject=self._block(plain, "title", context),
                text=self._block(plain, "body", context),
            )
        html = self._find(self._html, journey, step, channel, used)
        return Rendered(
            locale=used,
            subject=self._block(plain, "subject", context),
            text=self._block(plain, "text", context),
            html=html.render(context).strip(),
        )
