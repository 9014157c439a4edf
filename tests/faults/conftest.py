"""Each fault test gets its own stack of processes in its own directory (logs included)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from tests.faults.orders import FIGURES
from tests.faults.stack import WEBHOOK_SECRET, Stack
from tests.shop import Shop


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with Stack(tmp_path) as running:
        yield running


@pytest.fixture
async def shop(stack: Stack) -> AsyncIterator[Shop]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield Shop(http, stack.sandbox_url, stack.ingress_url, WEBHOOK_SECRET)


@pytest.fixture
async def temporal(stack: Stack) -> Client:
    """Only to describe the journeys (pending activities): no payload is read, so no codec."""
    return await Client.connect(stack.settings.temporal_address)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Each fault test's count (orders, expected, delivered, duplicated, lost), even when all pass."""
    if FIGURES:
        terminalreporter.section("fault suite")
        for line in FIGURES:
            terminalreporter.write_line(line)
