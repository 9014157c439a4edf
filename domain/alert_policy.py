"""The operations-alerts policy: which team hears about which kind of alert, by which channels, and
how alerts are digested (one message per key and window, a count instead of a storm)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from domain.events import AlertKind
from domain.notifications import Channel, DeliveryPolicy, Recipient
from domain.settings import Settings

ON_CALL = "on_call"
MERCHANDISING = "merchandising"
ACCOUNT_TEAM = "account_team"


class AlertRoute(BaseModel):
    """Who hears about one kind of alert (a team of `AlertPolicy.teams`) and the channel order:
    the first channel the team has an address on carries the message."""

    team: str
    channels: list[Channel]


def _default_teams() -> dict[str, Recipient]:
    return {
        ON_CALL: Recipient(name="On-call", email="ops@example.com"),
        MERCHANDISING: Recipient(name="Merchandising", email="merchandising@example.com"),
        ACCOUNT_TEAM: Recipient(name="Account team", email="accounts@example.com"),
    }


def _default_routes() -> dict[AlertKind, AlertRoute]:
    # Money stops flowing: whoever is on call, on their devices first. Catalog problems: the people
    # who own the catalog, by email. Customers worth a personal touch: the account team.
    urgent = AlertRoute(team=ON_CALL, channels=[Channel.PUSH, Channel.SMS, Channel.EMAIL])
    merchandising = AlertRoute(team=MERCHANDISING, channels=[Channel.EMAIL])
    accounts = AlertRoute(team=ACCOUNT_TEAM, channels=[Channel.EMAIL])
    return {
        AlertKind.PAYMENT_GATEWAY_ERROR: urgent,
        AlertKind.CHECKOUT_FAILED: urgent,
        AlertKind.CANCELLATION: AlertRoute(team=ON_CALL, channels=[Channel.SMS, Channel.EMAIL]),
        AlertKind.INVENTORY_LOW: merchandising,
        AlertKind.PRODUCT_UNAVAILABLE: merchandising,
        AlertKind.CATALOG_UPDATE_FAILED: merchandising,
        AlertKind.PROMOTION_MISCONFIGURED: merchandising,
        AlertKind.HIGH_VALUE_ORDER: accounts,
        AlertKind.VIP_PURCHASE: accounts,
        AlertKind.EXPEDITED_SHIPPING: accounts,
    }


class AlertPolicy(BaseModel):
    window: timedelta = timedelta(minutes=5)  # one digest per alert key and window
    cancellation_spike_count: int = 10  # more cancellations than this within the spike window alert
    cancellation_spike_window: timedelta = timedelta(minutes=60)
    samples: int = 5  # details quoted in a digest; the count says how many more there were
    idle_after: timedelta = timedelta(hours=24)  # no alert for this long: the run completes
    windows_per_run: int = 100  # then continue-as-new, carrying the counts
    teams: dict[str, Recipient] = Field(default_factory=_default_teams)
    routes: dict[AlertKind, AlertRoute] = Field(default_factory=_default_routes)
    default_route: AlertRoute = Field(
        default_factory=lambda: AlertRoute(team=ON_CALL, channels=[Channel.EMAIL, Channel.SMS])
    )
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def route_for(self, kind: AlertKind) -> tuple[str, Recipient, list[Channel]]:
        """The team's name, its addresses and the channel order for an alert of this kind. A route
        naming a team the policy does not have goes to the default route's team."""
        route = self.routes.get(kind, self.default_route)
        team = self.teams.get(route.team)
        if team is None:
            route = self.default_route
            team = self.teams.get(route.team, Recipient(name=route.team))
        return route.team, team, route.channels

    def scaled(self, factor: float) -> AlertPolicy:
        """Compress every duration (`TIDINGS_TIME_SCALE`)."""
        return self.model_copy(
            update={
                "window": self.window * factor,
                "cancellation_spike_window": self.cancellation_spike_window * factor,
                "idle_after": self.idle_after * factor,
            }
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertPolicy:
        """The policy for one store (`settings.for_store(...)`), time scale applied."""
        teams = {
            # Without a push token (the on-call device's) push is skipped and SMS or email carry it.
            ON_CALL: Recipient(
                name="On-call",
                email=settings.ops_email,
                phone=settings.ops_phone,
                push_token=settings.ops_push_token,
            ),
            MERCHANDISING: Recipient(name="Merchandising", email=settings.merchandising_email),
            ACCOUNT_TEAM: Recipient(name="Account team", email=settings.account_team_email),
        }
        policy = cls(
            window=timedelta(minutes=settings.alert_window_minutes),
            cancellation_spike_count=settings.cancellation_spike_count,
            cancellation_spike_window=timedelta(minutes=settings.cancellation_spike_minutes),
            teams=teams,
            delivery=settings.delivery_policy(),
        )
        return policy.scaled(settings.time_scale)
