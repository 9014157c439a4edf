"""The Web UI as `tidings dev` serves it, for the browser tests: a dev server with the UI and
`--ui-codec-endpoint` pointing at a codec server (the repo's test key), a worker and an ingress."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from temporalio.client import Client

from domain.settings import Settings
from starter.codec_server import CodecServerSettings
from starter.codec_server import create_app as create_codec_server
from starter.ingress import create_app as create_ingress
from tests.codec_test_key import TEST_CODEC
from tests.conftest import Served, free_port, start_dev_server
from worker import running_worker

CODEC_TOKEN = "test-operator-codec-token"


@dataclass
class WebUiStack:
    url: str
    codec_url: str
    client: Client
    ingress: str


@asynccontextmanager
async def web_ui_stack(settings: Settings, name: str) -> AsyncIterator[WebUiStack]:
    ui_port, codec_port = free_port(), free_port()
    ui_origins = [f"http://127.0.0.1:{ui_port}", f"http://localhost:{ui_port}"]
    codec_settings = CodecServerSettings(tokens=[CODEC_TOKEN], cors_origins=ui_origins)  # type: ignore[list-item]
    codec_url = f"http://127.0.0.1:{codec_port}"
    async with Served(create_codec_server(TEST_CODEC, codec_settings), codec_port):
        env = await start_dev_server(
            ui=True, ui_port=ui_port, dev_server_extra_args=["--ui-codec-endpoint", codec_url]
        )
        async with env:
            # Real time: nothing in a journey falls due while the operator looks at it.
            ui_settings = settings.model_copy(
                update={
                    "task_queue": f"{name}-{uuid.uuid4().hex[:6]}",
                    "time_scale": 1.0,
                    "ingress_port": free_port(),
                    "temporal_address": env.client.service_client.config.target_host,
                }
            )

            async def same_client() -> Client:
                return env.client

            async with (
                running_worker(env.client, ui_settings),
                Served(create_ingress(ui_settings, same_client), ui_settings.ingress_port) as ingress,
            ):
                yield WebUiStack(ui_origins[0], codec_url, env.client, ingress.url)
