"""Everything both arms run on: one Temporal dev server, the sandbox (OpenText and BigCommerce), the
Tidings worker and ingress as their own processes (as in production, encrypted), and the bare worker."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.procs import children, command_line
from starter.codec import KeyRing
from starter.devstack import temporal_binary, wait_for_port
from starter.encryption import converter_for
from workflows.search_attributes import ALL_KEYS

SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    tidings: Client  # encrypted, as the Tidings processes are
    plain: Client  # the bare arm's
    address: str
    sandbox_url: str
    ingress_port: int
    task_queue: str
    bare_queue: str
    server_pid: int
    worker_pid: int
    ingress_pid: int
    bare_pid: int
    bench_pid: int
    http: httpx.AsyncClient

    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ingress_port}"


@asynccontextmanager
async def process(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[int]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield child.pid
    finally:
        if child.returncode is None:
            child.terminate()
        await child.wait()


@asynccontextmanager
async def stack() -> AsyncIterator[Stack]:
    key = base64.b64encode(os.urandom(32)).decode()
    ring = KeyRing.from_json(json.dumps({"bench": key}))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        data_converter=converter_for(ring),
        dev_server_log_level="error",
    )
    server = [pid for pid in children(os.getpid()) if "temporal" in command_line(pid)]
    if len(server) != 1:
        raise RuntimeError(f"cannot tell the dev server among this process's children: {server}")
    address = env.client.service_client.config.target_host
    sandbox_port, ingress_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    async with AsyncExitStack() as stack_:
        await stack_.enter_async_context(env)
        data = stack_.enter_context(
            tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None)
        )
        # As the image runs them: from compiled bytecode (its Dockerfile runs compileall). Without
        # a bytecode cache (PYTHONDONTWRITEBYTECODE, as on this machine) the workflow sandbox would
        # compile every module it re-imports for each new workflow instance, from source.
        compiled = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        compiled["PYTHONPYCACHEPREFIX"] = f"{data}/pycache"
        settings_env = {
            **compiled,
            "TIDINGS_TEMPORAL_ADDRESS": address,
            "TIDINGS_TASK_QUEUE": queue,
            "TIDINGS_DATABASE_URL": f"sqlite+aiosqlite:///{data}/tidings.db",
            "TIDINGS_OPENTEXT_BASE_URL": f"{sandbox_url}/mra/v1",
            "TIDINGS_OPENTEXT_TOKEN_URL": f"{sandbox_url}/tenants/tidings/oauth2/token",
            "TIDINGS_BIGCOMMERCE_API_URL": sandbox_url,
            "TIDINGS_BIGCOMMERCE_CLIENT_SECRET": SECRET,
            "TIDINGS_INGRESS_PORT": str(ingress_port),
            "TIDINGS_ENCRYPTION_KEYS": json.dumps({"bench": key}),
            "TIDINGS_ENCRYPTION_KEY_ID": "bench",
        }
        code = f"from connectors.sandbox.server import serve; serve(port={sandbox_port}, status_delay=0)"
        await stack_.enter_async_context(process("-c", code, env=compiled))
        wait_for_port("127.0.0.1", sandbox_port, "sandbox")
        worker = await stack_.enter_async_context(process("-m", "starter", "worker", env=settings_env))
        ingress = await stack_.enter_async_context(process("-m", "starter", "ingress", env=settings_env))
        bare = await stack_.enter_async_context(
            process(
                "-m",
                "bench.bare",
                "--address",
                address,
                "--task-queue",
                f"{queue}-bare",
                "--opentext",
                f"{sandbox_url}/mra/v1",
                "--token-url",
                f"{sandbox_url}/tenants/tidings/oauth2/token",
                env=compiled,
            )
        )
        wait_for_port("127.0.0.1", ingress_port, "ingress")
        http = await stack_.enter_async_context(httpx.AsyncClient(timeout=60))
        yield Stack(
            tidings=env.client,
            plain=await Client.connect(address),
            address=address,
            sandbox_url=sandbox_url,
            ingress_port=ingress_port,
            task_queue=queue,
            bare_queue=f"{queue}-bare",
            server_pid=server[0],
            worker_pid=worker,
            ingress_pid=ingress,
            bare_pid=bare,
            bench_pid=os.getpid(),
            http=http,
        )
