"""A deploy SIGTERMs the worker while it is sending: it stops polling, lets the send finish within the
grace period, and exits 0. The customer gets the message exactly once: not lost, not sent again by
the worker that takes over.

The worker runs as its own process (`tidings worker`), the way a container runs it, against the
session's dev server and a sandbox of its own whose OpenText answers slowly."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from connectors.sandbox.app import create_app as create_sandbox
from domain.account_policy import AccountPolicy
from domain.events import AccountPayload, CommerceEvent, CustomerRef, EventType, Platform
from domain.settings import Settings
from starter.temporal_client import connect
from tests.conftest import CALLBACK_SECRET, Served, free_port
from tests.shop import eventually
from worker import running_worker
from workflows.account_message import AccountMessage, AccountMessageInput

LATENCY_MS = 4000  # OpenText's answer takes this long: the SIGTERM lands inside it
KEY = base64.b64encode(os.urandom(32)).decode()


def worker_environment(settings: Settings, home: Path) -> dict[str, str]:
    """The worker container's environment: only what is set here, nothing from the developer's."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    assert settings.encryption_keys is not None and settings.encryption_key_id is not None
    passed = {
        "TIDINGS_TEMPORAL_ADDRESS": settings.temporal_address,
        "TIDINGS_TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "TIDINGS_TASK_QUEUE": settings.task_queue,
        "TIDINGS_DATABASE_URL": settings.database_url,
        "TIDINGS_OPENTEXT_BASE_URL": settings.opentext_base_url,
        "TIDINGS_OPENTEXT_TOKEN_URL": settings.opentext_token_url,
        "TIDINGS_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "TIDINGS_ENCRYPTION_KEY_ID": settings.encryption_key_id,
        "TIDINGS_METRICS_PORT": "0",
        "TIDINGS_WORKER_SHUTDOWN_GRACE_SECONDS": "60",
        "TIDINGS_LOG_JSON": "false",
    }
    return {**base, **passed, "HOME": str(home)}


async def send_in_flight(client: Client, workflow_id: str) -> bool:
    description = await client.get_workflow_handle(workflow_id).describe()
    return any(
        p.activity_type.name == "send_message"
        and p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for p in description.raw_description.pending_activities
    )


async def messages(sandbox: Served, workflow_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        sent = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
    return [m for m in sent if str(m.get("reference") or "").startswith(workflow_id + ":")]


async def test_sigterm_mid_send_finishes_the_send_exits_0_and_sends_exactly_once(
    temporal_env: WorkflowEnvironment, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    async with Served(create_sandbox(callback_secret=CALLBACK_SECRET), port) as sandbox:
        mine = settings.model_copy(
            update={
                "task_queue": f"shutdown-{uuid.uuid4().hex[:6]}",
                "database_url": f"sqlite+aiosqlite:///{tmp_path / 'tidings.db'}",
                "opentext_base_url": f"{sandbox.url}/mra/v1",
                "opentext_token_url": f"{sandbox.url}/tenants/tidings/oauth2/token",
                "temporal_address": temporal_env.client.service_client.config.target_host,
                "temporal_namespace": temporal_env.client.namespace,
                # Keys of its own: this test's client and the worker process encrypt alike.
                "encryption": "on",
                "encryption_keys": SecretStr(json.dumps({"shutdown-test": KEY})),
                "encryption_key_id": "shutdown-test",
            }
        )
        client = await connect(mine)
        async with httpx.AsyncClient(timeout=10) as http:
            (
                await http.post(f"{sandbox.url}/sandbox/faults", json={"latency_ms": LATENCY_MS})
            ).raise_for_status()
        tidings = Path(sys.executable).parent / "tidings"
        worker = subprocess.Popen(  # noqa: ASYNC220 - signalled and awaited in a thread below
            [str(tidings), "worker"],
            env=worker_environment(mine, tmp_path),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            ada = CustomerRef(customer_id="90", email=f"ada-{uuid.uuid4().hex[:6]}@example.com", name="Ada")
            event = CommerceEvent(
                event_id=f"evt-{uuid.uuid4().hex[:12]}",
                platform=Platform.BIGCOMMERCE,
                store=f"s{uuid.uuid4().hex[:8]}",
                type=EventType.PASSWORD_RESET,
                occurred_at=datetime.now(UTC),
                customer=ada,
                account=AccountPayload(customer_id="90", link="https://shop.example/reset?t=1"),
                raw_scope="test/password_reset",
            )
            workflow_id = event.workflow_id()
            await client.start_workflow(
                AccountMessage.run,
                AccountMessageInput(
                    platform=event.platform,
                    store=event.store,
                    customer_id="90",
                    policy=AccountPolicy.from_settings(mine),
                ),
                id=workflow_id,
                task_queue=mine.task_queue,
                start_signal="commerce_event",
                start_signal_args=[event],
            )

            async def sending() -> bool:
                if worker.poll() is not None:
                    raise AssertionError(f"the worker died: {worker.communicate()[0]}")
                return await send_in_flight(client, workflow_id)

            await eventually(sending, timeout=120, what="the send to start")
            assert await messages(sandbox, workflow_id) == []  # OpenText has not answered yet

            worker.send_signal(signal.SIGTERM)
            output, _ = await asyncio.to_thread(worker.communicate, timeout=120)
            assert worker.returncode == 0, output
            assert "stopping" in output and "worker stopped" in output
            # The send in flight was finished, not cut off: OpenText has it before the worker left.
            assert len(await messages(sandbox, workflow_id)) == 1
        finally:
            if worker.poll() is None:
                worker.kill()
                print("worker output:", worker.communicate()[0])

        # The next worker carries the journey on; the finished send is recorded, not repeated.
        async with running_worker(client, mine):
            handle = client.get_workflow_handle(workflow_id)

            async def recorded() -> bool:
                return len((await handle.query(AccountMessage.status)).messages) == 1

            await eventually(recorded, timeout=120, what="the send to be recorded as sent")
        [message] = await messages(sandbox, workflow_id)
        assert message["to"] == ada.email
