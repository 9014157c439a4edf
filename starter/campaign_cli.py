"""`tidings campaign …`: start a promotional campaign, pause, resume or cancel it, and watch it.

    tidings campaign start --store abc123 --id autumn-sale --segment '{"country": ["DE"]}' \\
        --subject "Autumn sale" --text "20 % off every coffee machine until Sunday." --rate 20
    tidings campaign status --store abc123 --id autumn-sale          # a live progress bar
    tidings campaign pause|resume|cancel --store abc123 --id autumn-sale
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.campaign import CampaignSpec, CampaignStatus
from domain.events import Platform
from domain.notifications import Channel
from domain.settings import Settings, get_settings
from starter.campaigns_api import (
    CampaignFinished,
    CampaignNotFound,
    campaign_progress,
    describe_errors,
    missing_templates,
    signal_campaign,
    start_campaign,
)
from starter.temporal_client import connect

campaign = typer.Typer(
    help="Promotional campaigns: one message to a segment of a store's customers, at a set rate.",
    no_args_is_help=True,
)
console = Console()

Store = Annotated[str, typer.Option("--store", help="store hash / site id the campaign belongs to")]
CampaignId = Annotated[str, typer.Option("--id", help="the campaign's id, unique per store")]
POLL_SECONDS = 0.5


async def _client(settings: Settings) -> Client:
    return await connect(settings)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/]")
    return typer.Exit(1)


@campaign.command()
def start(
    store: Store,
    campaign_id: CampaignId,
    subject: Annotated[str, typer.Option(help="email subject / push title")],
    text: Annotated[str, typer.Option(help="the message; paragraphs separated by a blank line")],
    segment: Annotated[
        str, typer.Option(help='JSON filters, e.g. \'{"country": ["DE"], "ordered_within_days": 90}\'')
    ] = "{}",
    short_text: Annotated[str | None, typer.Option(help="shorter text for SMS and push")] = None,
    link: Annotated[str | None, typer.Option(help="where the message leads")] = None,
    code: Annotated[str | None, typer.Option(help="a discount code")] = None,
    channel: Annotated[list[Channel] | None, typer.Option(help="channels in order (repeat)")] = None,
    rate: Annotated[float, typer.Option(help="messages per second")] = 10.0,
    platform: Annotated[Platform | None, typer.Option(help="only this platform's customers")] = None,
    template: Annotated[str, typer.Option(help="template step in templates/campaign/")] = "promotion",
    watch: Annotated[bool, typer.Option(help="show the progress bar until it is done")] = False,
) -> None:
    """Start a campaign."""
    try:
        body = {
            "store": store,
            "campaign_id": campaign_id,
            "platform": platform,
            "segment": json.loads(segment),
            "content": {
                "subject": subject,
                "text": text,
                "short_text": short_text,
                "link": link,
                "code": code,
            },
            "channels": channel or [Channel.EMAIL],
            "rate": rate,
            "template": template,
        }
        spec = CampaignSpec.model_validate(body)
    except json.JSONDecodeError as exc:
        raise _fail(f"--segment is not JSON: {exc.msg}") from None
    except ValidationError as exc:
        raise _fail(describe_errors(exc)) from None
    missing = missing_templates(spec)
    if missing:
        raise _fail(f"--template {template}: no {', '.join(missing)}")
    settings = get_settings()

    async def go() -> str:
        client = await _client(settings)
        workflow_id = await start_campaign(client, settings, spec)
        if watch:
            await _watch(client, store, campaign_id, wait=True)
        return workflow_id

    try:
        workflow_id = asyncio.run(go())
    except WorkflowAlreadyStartedError:
        raise _fail(f"campaign {campaign_id} of store {store} exists already") from None
    console.print(f"started [bold]{workflow_id}[/] · {spec.segment.describe()} · {rate:g}/s")
    if not watch:
        console.print(f"progress: tidings campaign status --store {store} --id {campaign_id}")


def _signal(store: str, campaign_id: str, signal: str) -> None:
    settings = get_settings()

    async def go() -> None:
        await signal_campaign(await _client(settings), store, campaign_id, signal)

    try:
        asyncio.run(go())
    except (CampaignNotFound, CampaignFinished) as exc:
        raise _fail(str(exc)) from None
    console.print(f"{signal} sent to campaign {campaign_id} of store {store}")


@campaign.command()
def pause(store: Store, campaign_id: CampaignId) -> None:
    """Stop scheduling new sends until resumed."""
    _signal(store, campaign_id, "pause")


@campaign.command()
def resume(store: Store, campaign_id: CampaignId) -> None:
    """Carry on sending."""
    _signal(store, campaign_id, "resume")


@campaign.command()
def cancel(store: Store, campaign_id: CampaignId) -> None:
    """Stop for good; the campaign ends with its progress so far."""
    _signal(store, campaign_id, "cancel")


@campaign.command()
def status(
    store: Store,
    campaign_id: CampaignId,
    wait: Annotated[bool, typer.Option(help="follow until the campaign is done (--no-wait: once)")] = True,
) -> None:
    """Show the campaign's progress as a bar: live until it is done, or once with --no-wait."""
    settings = get_settings()

    async def go() -> CampaignStatus:
        return await _watch(await _client(settings), store, campaign_id, wait=wait)

    try:
        asyncio.run(go())
    except CampaignNotFound as exc:
        raise _fail(str(exc)) from None


def _numbers(status: CampaignStatus) -> str:
    p = status.progress
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(p.suppressed_by.items()))
    return (
        f"{status.state} · {p.sent} sent · {p.suppressed} suppressed"
        + (f" ({reasons})" if reasons else "")
        + f" · {p.failed} failed · {p.deferred} deferred · {p.remaining} remaining"
    )


async def _watch(client: Client, store: str, campaign_id: str, *, wait: bool) -> CampaignStatus:
    """A bar of customers processed out of the audience, refreshed until the campaign is done (or
    drawn once); then the numbers in full, on a line of their own that stays in the terminal."""
    current = await campaign_progress(client, store, campaign_id)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
    )
    with bar:
        task = bar.add_task(f"{store}/{campaign_id}", total=None, state="")
        while True:
            bar.update(
                task,
                total=max(current.progress.audience, 1),
                completed=current.progress.processed,
                state=current.state,
            )
            if current.done or not wait:
                break
            await asyncio.sleep(POLL_SECONDS)
            current = await campaign_progress(client, store, campaign_id)
    console.print(_numbers(current))
    return current
