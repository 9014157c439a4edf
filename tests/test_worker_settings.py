"""How a worker process starts: it waits for a Temporal that comes up after it, polls only the queues
it is told to, and connects with the client certificate it is given."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from domain.settings import Settings
from starter.namespace_setup import ensure_namespace, ensure_search_attributes
from starter.process_lifecycle import connect_when_ready
from starter.temporal_tls import tls_config
from store.db import SchemaNotCurrent
from store.stores import Stores
from tests.conftest import free_port
from worker import queue_names
from workflows.search_attributes import ALL_KEYS


async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def test_a_worker_started_before_temporal_waits_for_it(temporal_env: WorkflowEnvironment) -> None:
    """A cold `docker compose up`: the frontend opens its port seconds after the worker starts."""
    host, _, port = temporal_env.client.service_client.config.target_host.rpartition(":")
    late = free_port()
    settings = Settings(temporal_address=f"127.0.0.1:{late}", encryption="off", temporal_connect_timeout=60)
    connecting = asyncio.create_task(connect_when_ready(settings, first_delay=0.2, max_delay=1.0))
    await asyncio.sleep(2)
    assert not connecting.done()  # still waiting, not dead

    async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, int(port))
        await asyncio.gather(forward(client_r, server_w), forward(server_r, client_w))

    async with await asyncio.start_server(relay, "127.0.0.1", late):
        client = await asyncio.wait_for(connecting, timeout=60)
        assert client.namespace == "default"


async def test_a_worker_gives_up_after_the_connect_timeout() -> None:
    settings = Settings(
        temporal_address=f"127.0.0.1:{free_port()}", encryption="off", temporal_connect_timeout=1
    )
    started = time.monotonic()
    with pytest.raises(RuntimeError):
        await connect_when_ready(settings, first_delay=0.2, max_delay=0.5)
    assert time.monotonic() - started < 30


def test_queues_name_what_a_process_polls() -> None:
    assert queue_names("main,bulk") == ["main", "bulk"]
    assert queue_names(" bulk ") == ["bulk"]
    with pytest.raises(ValueError, match="unknown task queue mian"):
        queue_names("mian")
    with pytest.raises(ValueError):
        queue_names("")


def test_mtls_reads_the_client_certificate_and_ca(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_bytes(b"CERT")
    (tmp_path / "k.pem").write_bytes(b"KEY")
    (tmp_path / "ca.pem").write_bytes(b"CA")
    config = tls_config(
        Settings(
            temporal_tls_cert=tmp_path / "c.pem",
            temporal_tls_key=tmp_path / "k.pem",
            temporal_tls_ca=tmp_path / "ca.pem",
            temporal_tls_server_name="temporal.internal",
        )
    )
    assert isinstance(config, TLSConfig)
    assert (config.client_cert, config.client_private_key, config.server_root_ca_cert) == (
        b"CERT",
        b"KEY",
        b"CA",
    )
    assert config.domain == "temporal.internal"
    assert tls_config(Settings()) is False
    assert tls_config(Settings(temporal_api_key="k")) is True  # type: ignore[arg-type]


async def test_production_processes_do_not_migrate_the_store(tmp_path: Path) -> None:
    """`tidings migrate` is the one migrator: a production process on an old schema refuses to start."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tidings.db'}"
    with pytest.raises(SchemaNotCurrent, match="run `tidings migrate`"):
        await Stores.open(url, migrate=False)
    (await Stores.open(url)).engine  # noqa: B018 - development: brought to head at open
    stores = await Stores.open(url, migrate=False)
    await stores.close()


async def test_setup_namespace_creates_the_namespace_and_its_search_attributes(
    temporal_env: WorkflowEnvironment,
) -> None:
    client = temporal_env.client
    namespace = f"tidings-{uuid.uuid4().hex[:6]}"
    assert await ensure_namespace(client, namespace, timedelta(days=3))
    assert not await ensure_namespace(client, namespace, timedelta(days=3))  # a second run changes nothing
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.ToTimedelta() == timedelta(days=3)
    added = await ensure_search_attributes(client, namespace)
    assert set(added) == {key.name for key in ALL_KEYS}
    assert await ensure_search_attributes(client, namespace) == []


def test_a_worker_waiting_for_temporal_stops_at_once_on_sigterm(tmp_path: Path) -> None:
    """A deploy rolled back while Temporal is down: the waiting worker exits 0, it is not SIGKILLed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env |= {
        "TIDINGS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "TIDINGS_ENCRYPTION": "off",
        "TIDINGS_METRICS_PORT": "0",
        "TIDINGS_LOG_JSON": "false",
        "TIDINGS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tidings.db'}",
    }
    tidings = Path(sys.executable).parent / "tidings"
    worker = subprocess.Popen(
        [str(tidings), "worker"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    assert worker.stderr is not None
    for line in worker.stderr:  # wait until it is retrying, however long the start takes
        if "not ready" in line:
            break
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    worker.stderr.close()
