"""The whole system as separate processes, for fault tests that kill and restart them: a Temporal dev
server on a database file, the sandbox, a worker and the ingress, each started the way an operator
would (`temporal server start-dev`, `tidings worker` …), configured only through the environment.
Logs go to files in the stack's directory, which a failing test names."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx

from domain.settings import Settings
from starter.devstack import DEV_WEBHOOK_SECRET, dev_server_command, port_open, stack_environment
from tests.conftest import free_port

WEBHOOK_SECRET = DEV_WEBHOOK_SECRET  # the stack environment's default for BigCommerce signatures


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready within {timeout:.0f} s")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Stack:
    def __init__(self, root: Path) -> None:
        self.root = root
        temporal_port = free_port()
        while port_open("127.0.0.1", temporal_port + 1000):  # the dev server's UI port
            temporal_port = free_port()
        self.sandbox_port, self.ingress_port = free_port(), free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.ingress_url = f"http://127.0.0.1:{self.ingress_port}"
        self.database = root / "tidings.db"
        self.settings = Settings(
            temporal_address=f"127.0.0.1:{temporal_port}",
            task_queue=f"faults-{uuid.uuid4().hex[:6]}",
            database_url=f"sqlite+aiosqlite:///{self.database}",
            ingress_port=self.ingress_port,
            sandbox_port=self.sandbox_port,
        )
        key = base64.b64encode(os.urandom(32)).decode()
        sandbox = self.sandbox_url
        self.env = stack_environment(
            self.settings,
            root,
            {
                "TIDINGS_TEMPORAL_ADDRESS": self.settings.temporal_address,
                "TIDINGS_TASK_QUEUE": self.settings.task_queue,
                "TIDINGS_DATABASE_URL": self.settings.database_url,
                "TIDINGS_INGRESS_PORT": str(self.ingress_port),
                "TIDINGS_SANDBOX_PORT": str(self.sandbox_port),
                "TIDINGS_OPENTEXT_BASE_URL": f"{sandbox}/mra/v1",
                "TIDINGS_OPENTEXT_TOKEN_URL": f"{sandbox}/tenants/tidings/oauth2/token",
                "TIDINGS_BIGCOMMERCE_API_URL": sandbox,
                "TIDINGS_METRICS_PORT": "0",  # no fixed port shared with other workers on the machine
                "TIDINGS_ENCRYPTION_KEYS": json.dumps({"faults": key}),
                "TIDINGS_ENCRYPTION_KEY_ID": "faults",
            },
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, name: str, cmd: list[str]) -> None:
        with open(self.root / f"{name}.log", "ab") as log:  # appended to across restarts
            self.procs[name] = subprocess.Popen(
                cmd, env=self.env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _tidings(self, name: str) -> None:
        self._spawn(name, [sys.executable, "-m", "starter", name])

    def start_server(self) -> None:
        self._spawn("temporal", [*dev_server_command(self.settings, self.root), "--headless"])
        port = int(self.settings.temporal_address.rsplit(":", 1)[1])
        wait_until(lambda: port_open("127.0.0.1", port), "Temporal dev server")

    def start_sandbox(self) -> None:
        self._tidings("sandbox")
        wait_until(lambda: healthy(self.sandbox_url), "sandbox")

    def start_worker(self) -> None:
        self._tidings("worker")

    def start_ingress(self) -> None:
        self._tidings("ingress")
        wait_until(lambda: healthy(self.ingress_url), "ingress")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no goodbye, whatever was in flight is cut off."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"processes exited: {dead}; logs in {self.root}")

    def __enter__(self) -> Stack:
        try:
            self.start_server()
            self.start_sandbox()
            self.start_worker()
            self.start_ingress()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for name in ("ingress", "worker", "sandbox", "temporal"):
            if name in self.procs:
                self.stop(name)
