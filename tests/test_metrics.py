"""Prometheus metrics: the worker's (Temporal's runtime endpoint, with Tidings' message counter) after
a real journey, and the ingress's `/metrics` after a few requests answered with different statuses."""

from __future__ import annotations

import json
import logging
import re
import socket
import uuid

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from connectors.bigcommerce.simulate import order_webhook, signed_headers
from domain.notifications import Channel, MessageStatus
from domain.settings import Settings
from starter.ingress import create_app as create_ingress
from starter.observability.metrics import (
    MessageMetrics,
    instrument_metrics,
    prometheus_runtime,
    serve_temporal_metrics,
)
from tests.codec_test_key import TEST_CONVERTER
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served, free_port
from tests.shop import Shop, eventually
from worker import WORKFLOWS, activity_set
from workflows.consent_reply import ConsentReply, ConsentReplyInput

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(exposition: str) -> Samples:
    """Every sample of a Prometheus text exposition, by name (as written: Temporal's counters have no
    `_total`) and labels."""
    found: Samples = {}
    for line in exposition.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = frozenset(LABEL.findall(match[2] or ""))
            found[(match[1], labels)] = float(match[3])
    return found


def value(scraped: Samples, name: str, **labels: str) -> float:
    """The sum over the samples of `name` whose labels include `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in scraped.items() if n == name and wanted <= have)


async def test_the_worker_serves_temporal_and_tidings_metrics(
    client: Client, settings: Settings, sandbox: Served, http: httpx.AsyncClient
) -> None:
    port = free_port()
    runtime = prometheus_runtime(f"127.0.0.1:{port}")
    measured = await Client.connect(
        client.service_client.config.target_host,
        namespace=client.namespace,
        data_converter=TEST_CONVERTER,
        runtime=runtime,
    )
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    worker_settings = settings.model_copy(update={"task_queue": queue})
    async with (
        activity_set(worker_settings) as activities,
        Worker(
            measured,
            task_queue=queue,
            workflows=WORKFLOWS,
            activities=activities,
            interceptors=[MessageMetrics()],
        ),
    ):
        # A customer texts START: the confirmation is one send_message, the journey then completes.
        status = await measured.execute_workflow(
            ConsentReply.run,
            ConsentReplyInput(channel=Channel.SMS, address="+14155550177", keyword="START", change="started"),
            id=f"consent:sms:{uuid.uuid4().hex[:12]}",
            task_queue=queue,
        )
        assert status.messages[0].status is MessageStatus.SENT

        async def scraped_completion() -> bool:
            scraped = samples((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
            return value(scraped, "temporal_workflow_completed", task_queue=queue) >= 1

        await eventually(scraped_completion, what="temporal_workflow_completed on the worker's endpoint")

    response = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    scraped = samples(response.text)
    assert value(scraped, "temporal_workflow_completed", task_queue=queue, workflow_type="ConsentReply") == 1
    assert value(scraped, "temporal_request", operation="StartWorkflowExecution") >= 1
    assert value(scraped, "temporal_activity_execution_latency_count", activity_type="send_message") >= 1
    assert (
        value(
            scraped,
            "tidings_messages",
            task_queue=queue,
            journey="consent",
            channel="sms",
            status="sent",
        )
        == 1
    )


def test_a_taken_metrics_port_costs_the_metrics_not_the_worker(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with caplog.at_level(logging.WARNING, logger="tidings.metrics"):
            assert serve_temporal_metrics(address) is None
    assert f"no Temporal metrics endpoint on {address}" in caplog.text


async def test_the_ingress_counts_requests_by_route_and_status(
    client: Client, settings: Settings, sandbox: Served, http: httpx.AsyncClient
) -> None:
    # A task queue no worker polls: the ingress only needs Temporal to accept the signal.
    ingress_settings = settings.model_copy(
        update={"task_queue": f"unpolled-{uuid.uuid4().hex[:8]}", "ingress_port": free_port()}
    )

    async def same_client() -> Client:
        return client

    app = create_ingress(ingress_settings, same_client)
    registry = instrument_metrics(app)
    assert instrument_metrics(app) is registry  # a second call adds nothing: no request counted twice
    async with Served(app, ingress_settings.ingress_port) as ingress:
        shop = Shop(http, sandbox.url, ingress.url, WEBHOOK_SECRET, API_TOKEN)
        accepted = await shop.created(601)
        assert accepted.status_code == 202
        await client.get_workflow_handle(shop.workflow_id(601)).terminate("metrics counted")

        forged = json.dumps(order_webhook(shop.store, "store/order/created", 602)).encode()
        assert (await shop.post_body(forged, signed_headers(forged, "not-the-secret"))).status_code == 401
        assert (await shop.post_body(forged, signed_headers(forged, "not-the-secret"))).status_code == 401
        malformed = b'{"scope": "store/order/created", "store_id": "1"}'
        assert (await shop.post_body(malformed)).status_code == 400
        for _ in range(3):
            assert (await http.get(f"{ingress.url}/healthz")).status_code == 200
        unauthorised = await http.get(f"{ingress.url}/customers/bigcommerce/{shop.store}/7/preferences")
        assert unauthorised.status_code == 401
        assert (await http.get(f"{ingress.url}/wp-login.php")).status_code == 404

        response = await http.get(f"{ingress.url}/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        scraped = samples(response.text)
        again = samples((await http.get(f"{ingress.url}/metrics")).text)

    requests = "tidings_ingress_requests_total"
    webhook = "/webhooks/bigcommerce"
    assert value(scraped, requests, method="POST", route=webhook, status="202") == 1
    assert value(scraped, requests, method="POST", route=webhook, status="401") == 2
    assert value(scraped, requests, method="POST", route=webhook, status="400") == 1
    assert value(scraped, requests, method="GET", route="/healthz", status="200") == 3
    # ids in paths are not labels: the route template is
    preferences = "/customers/{platform}/{store}/{customer_id}/preferences"
    assert value(scraped, requests, route=preferences, status="401") == 1
    assert value(scraped, requests, route="<unmatched>", status="404") == 1
    assert not any(shop.store in dict(labels).get("route", "") for _, labels in scraped)
    assert value(scraped, "tidings_ingress_request_duration_seconds_count", route=webhook) == 4
    assert value(scraped, "tidings_ingress_request_duration_seconds_bucket", route=webhook, le="+Inf") == 4
    # the scrape itself is not counted, so a second scrape sees the same numbers
    assert value(again, requests) == value(scraped, requests)
