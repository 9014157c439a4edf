"""Tracking links built from a per-carrier URL table, for shipments the platform reports with a
carrier and a tracking number but no link (SAP consignments, BigCommerce shipments of carriers it
does not know, SFCC shipments without `c_trackingUrl`).

The table maps a carrier name (matched case-insensitively, ignoring spaces, dots and dashes) to a
URL with `{number}` where the tracking number goes. The defaults cover the large carriers; a
deployment or a store adds or replaces rows (`TIDINGS_TRACKING_URLS`, the stores file's
`tracking_urls`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from domain.events import Platform
from domain.notifications import Shipment

if TYPE_CHECKING:
    from domain.settings import Settings

TrackingTables = Callable[[Platform, str], Mapping[str, str]]  # (platform, store) → the store's table

DEFAULT_TRACKING_URLS: dict[str, str] = {
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "dhlexpress": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{number}",
    "gls": "https://gls-group.com/track/{number}",
    "hermes": "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation#{number}",
    "evri": "https://www.evri.com/track/parcel/{number}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "canadapost": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
    "laposte": "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    "correos": "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={number}",
    "postnl": "https://jouw.postnl.nl/track-and-trace/{number}",
    "auspost": "https://auspost.com.au/mypost/track/details/{number}",
}

_NOISE = re.compile(r"[\s._-]+")


def carrier_key(carrier: str) -> str:
    """ "Royal Mail", "royal-mail" and "ROYALMAIL" are one carrier."""
    return _NOISE.sub("", carrier).lower()


def tracking_table(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The default table with a deployment's or store's rows over it (keys normalised)."""
    table = {carrier_key(name): url for name, url in DEFAULT_TRACKING_URLS.items()}
    table.update({carrier_key(name): url for name, url in (overrides or {}).items()})
    return table


def tracking_link(carrier: str | None, number: str | None, table: Mapping[str, str]) -> str | None:
    """The carrier's tracking page for `number`, or None when the table does not know the carrier."""
    if not carrier or not number:
        return None
    template = table.get(carrier_key(carrier))
    return template.replace("{number}", quote(number.strip(), safe="")) if template else None


def with_tracking_links(shipments: list[Shipment], table: Mapping[str, str]) -> list[Shipment]:
    """The shipments, each without a link given one from the table where it knows the carrier."""
    return [
        s
        if s.tracking_link
        else s.model_copy(update={"tracking_link": tracking_link(s.carrier, s.tracking_number, table)})
        for s in shipments
    ]


def tables_for(settings: Settings) -> TrackingTables:
    """Each store's table: the defaults, the deployment's rows, then the store's own."""

    def table(platform: Platform, store: str) -> dict[str, str]:
        own = settings.for_store(platform, store)
        return tracking_table({**settings.tracking_urls, **own.tracking_urls})

    return table
