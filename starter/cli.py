"""`tidings`: run the stack, the demo, the pieces, and the history tools."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from domain.settings import get_settings
from starter.campaign_cli import campaign

app = typer.Typer(help="Tidings: durable commerce lifecycle messaging on Temporal.", no_args_is_help=True)
app.add_typer(campaign, name="campaign")
console = Console()


def _logging() -> None:
    from starter.observability.logs import configure_logging

    s = get_settings()
    configure_logging(json=s.log_json, level=s.log_level, region=s.default_region)


@app.command()
def worker(
    queues: Annotated[
        str | None, typer.Option(help="task queues to poll: main, bulk or main,bulk (TIDINGS_WORKER_QUEUES)")
    ] = None,
) -> None:
    """Run the worker until SIGTERM/SIGINT, then finish in-flight activities and exit 0."""
    import worker as worker_module

    worker_module.main(queues)


@app.command("check-config")
def check_config() -> None:
    """Exit 1 naming each missing or unsafe setting (TIDINGS_ENV=production; every process runs it)."""
    from starter.config_check import problems

    settings = get_settings()
    found = problems(settings)
    for problem in found:  # plain lines: no wrapping, no markup read into values
        typer.echo(f"✗ {problem}", err=True)
    if found:
        raise typer.Exit(1)
    checked = "production settings are complete" if settings.env == "production" else "development: no checks"
    typer.echo(f"✓ {checked}")


@app.command()
def ingress() -> None:
    """Run the webhook ingress (FastAPI) on TIDINGS_INGRESS_PORT."""
    import uvicorn

    from starter.config_check import require_safe
    from starter.ingress import create_app
    from starter.observability.tracing import INGRESS_SERVICE, configure_tracing

    settings = get_settings()
    require_safe(settings, "ingress")
    _logging()
    configure_tracing(INGRESS_SERVICE)
    # Our JSON logging, not uvicorn's; no access log (webhooks come in bursts; metrics count requests).
    uvicorn.run(
        create_app(settings),
        host=settings.ingress_host,
        port=settings.ingress_port,
        log_config=None,
        access_log=False,
        log_level=settings.log_level.lower(),
    )


@app.command()
def sandbox() -> None:
    """Run the local stand-in for OpenText and the platforms' REST APIs on TIDINGS_SANDBOX_PORT."""
    from connectors.sandbox.server import serve

    settings = get_settings()
    _logging()
    secret = settings.opentext_callback_secret
    serve(
        port=settings.sandbox_port,
        callback_url=f"http://{settings.ingress_host}:{settings.ingress_port}",
        callback_secret=secret.get_secret_value() if secret else None,
    )


@app.command("codec-server")
def codec_server() -> None:
    """Decrypt payloads for the Temporal Web UI and CLI (codec-server protocol), for TIDINGS_CODEC_TOKENS."""
    import uvicorn

    from starter.codec import EncryptionCodec
    from starter.codec_server import CodecServerSettings, create_app
    from starter.config_check import require_safe
    from starter.encryption import key_ring

    _logging()
    require_safe(get_settings(), "codec-server")
    ring = key_ring(get_settings())
    if ring is None:
        raise typer.BadParameter("TIDINGS_ENCRYPTION is off: there is nothing to decode")
    server = CodecServerSettings()
    app_ = create_app(EncryptionCodec(ring), server)
    uvicorn.run(app_, host=server.host, port=server.port, log_config=None, access_log=False)


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="where the dev server and the store keep state")] = Path(
        ".data"
    ),
) -> None:
    """Run the whole local stack in the foreground: Temporal dev server + Web UI, worker, ingress, sandbox."""
    from starter.devstack import DEV_CODEC_TOKEN, DevStack, codec_url, stack_environment, ui_port

    settings = get_settings()
    with DevStack(settings, data_dir, stack_environment(settings, data_dir)) as stack:
        console.print(f"[bold]Temporal Web UI[/]  http://127.0.0.1:{ui_port(settings)}")
        console.print(f"[bold]Ingress[/]          http://127.0.0.1:{settings.ingress_port}/docs")
        console.print(f"[bold]Sandbox outbox[/]   http://127.0.0.1:{settings.sandbox_port}/")
        if settings.encryption == "on":
            console.print(f"[bold]Codec server[/]     {codec_url()}/login  (token: {DEV_CODEC_TOKEN})")
        console.print("Ctrl-C stops everything.")
        stack.run_until_stopped()
        console.print("stopping …")


@app.command()
def demo(
    time_scale: Annotated[float, typer.Option(help="TIDINGS_TIME_SCALE for the demo's journeys")] = 0.001,
    keep: Annotated[bool, typer.Option(help="keep the stack running afterwards, until Ctrl-C")] = False,
) -> None:
    """Start the stack in the background, play a few orders' lifecycles, print their messages, stop."""
    from starter.demo import run_demo

    data_dir = Path(tempfile.mkdtemp(prefix="tidings-demo-"))
    sys.exit(run_demo(get_settings(), data_dir, time_scale, console, keep))


@app.command("export-history")
def export_history(
    workflow_ids: Annotated[list[str] | None, typer.Argument(help="workflow ids to export")] = None,
    out: Annotated[Path, typer.Option(help="directory to write JSON histories to")] = Path("tests/histories"),
    query: Annotated[
        str | None, typer.Option(help="a list filter, e.g. \"WorkflowType='OrderLifecycle'\"")
    ] = None,
    decode: Annotated[
        bool, typer.Option(help="write payloads decrypted (needs the keys); default: encrypted, as stored")
    ] = False,
) -> None:
    """Write workflow histories as JSON files (replayable with `tidings replay`)."""
    from starter.codec import EncryptionCodec
    from starter.encryption import key_ring
    from starter.history import export_histories, export_query
    from starter.temporal_client import connect

    async def go() -> list[Path]:
        settings = get_settings()
        codec = None
        if decode:
            ring = key_ring(settings)
            if ring is None:
                raise typer.BadParameter("--decode needs the encryption keys (TIDINGS_ENCRYPTION is off)")
            codec = EncryptionCodec(ring)
        client = await connect(settings)
        if query:
            return await export_query(client, query, out, decode=codec)
        return await export_histories(client, workflow_ids or [], out, decode=codec)

    if not workflow_ids and not query:
        raise typer.BadParameter("give workflow ids or --query")
    for path in asyncio.run(go()):
        console.print(f"wrote {path}")


@app.command()
def replay(
    paths: Annotated[list[Path] | None, typer.Argument(help="history files or directories")] = None,
    query: Annotated[
        str | None, typer.Option(help="replay a server's histories matching this list filter")
    ] = None,
    keys_file: Annotated[
        Path | None,
        typer.Option(
            help="decrypt with the keys in this JSON file (tests/codec-test-keys.json for the corpus)"
        ),
    ] = None,
) -> None:
    """Replay histories against the current workflow code; exit 1 naming each non-deterministic one."""
    from starter.codec import KeyRing
    from starter.encryption import converter_for, data_converter
    from starter.history import replay_files, replay_query
    from starter.temporal_client import connect

    async def go() -> list:  # type: ignore[type-arg]
        if query:
            return await replay_query(await connect(get_settings()), query)
        if keys_file is not None:
            converter = converter_for(KeyRing.for_reading(keys_file.read_text()))
        else:
            converter = data_converter(get_settings())
        return await replay_files(paths or [Path("tests/histories")], converter)

    outcomes = asyncio.run(go())
    failed = [o for o in outcomes if o.error]
    for outcome in outcomes:
        mark = "[red]FAIL[/]" if outcome.error else "[green]ok[/]  "
        console.print(f"{mark} {outcome.workflow_id}  ({outcome.source})")
        if outcome.error:
            console.print(f"      {outcome.error}")
    console.print(f"{len(outcomes) - len(failed)} replayed, {len(failed)} non-deterministic")
    raise typer.Exit(1 if failed or not outcomes else 0)


@app.command()
def forget(
    platform: Annotated[str, typer.Option(help="bigcommerce, sfcc or sap-commerce")],
    store: Annotated[str, typer.Option(help="the store id (BigCommerce store hash, SFCC site, SAP site)")],
    customer: Annotated[str, typer.Option(help="the platform's customer id")],
) -> None:
    """Erase a customer: stop their open journeys, delete their preferences, conversations, inbound
    messages and customer row, leave the ledger with address hashes only; print what was removed."""
    import json

    from starter.erasure import NotErasable
    from starter.erasure import forget as erase
    from starter.temporal_client import connect
    from store.stores import Stores

    settings = get_settings()

    async def go() -> dict[str, object]:
        stores = await Stores.open(settings.database_url)
        try:
            report = await erase(await connect(settings), stores, platform, store, customer)
        finally:
            await stores.close()
        return report.as_dict()

    try:
        console.print_json(json.dumps(asyncio.run(go())))
    except NotErasable as e:
        raise typer.BadParameter(str(e)) from None


@app.command()
def migrate() -> None:
    """Bring the store's schema (TIDINGS_DATABASE_URL) to the newest migration."""
    from store.db import open_engine

    async def go() -> None:
        engine = await open_engine(get_settings().database_url)
        await engine.dispose()

    asyncio.run(go())
    console.print("store schema is up to date")


@app.command("setup-namespace")
def setup_namespace() -> None:
    """Create the namespace if missing (TIDINGS_NAMESPACE_RETENTION_DAYS); register the search attributes."""
    from datetime import timedelta

    from starter.namespace_setup import ensure_namespace, ensure_search_attributes
    from starter.process_lifecycle import connect_when_ready

    settings = get_settings()
    namespace = settings.temporal_namespace

    async def go() -> None:
        client = await connect_when_ready(settings)
        retention = timedelta(days=settings.namespace_retention_days)
        if await ensure_namespace(client, namespace, retention):
            days = settings.namespace_retention_days
            console.print(f"created namespace {namespace} (retention {days} days)")
        added = await ensure_search_attributes(client, namespace)
        console.print(f"registered {added or 'nothing new'} in {namespace}")

    asyncio.run(go())


if __name__ == "__main__":
    app()
