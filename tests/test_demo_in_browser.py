"""The demo, played against the test session's stack, and its messages seen in the sandbox outbox
page in headless Chromium (screenshot: artifacts/demo-outbox.png). This is also how CI runs the demo's
script without starting a second stack."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from rich.console import Console
from temporalio.client import Client

from domain.settings import Settings
from starter.demo import ORDERS, Demo
from starter.ingress import create_app as create_ingress
from starter.observability.logs import configure_logging
from tests.browser import ARTIFACTS, chromium_page
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, Served, free_port


@pytest.fixture
async def demo_settings(
    settings: Settings, client: Client, worker: None, ingress: Served
) -> AsyncIterator[Settings]:
    """The demo's own configuration (see starter/demo.py) on an ingress of its own."""
    demo = settings.model_copy(
        update={
            "time_scale": 0.001,
            "review_delay_days": 0.02,
            "review_reminder_days": 0.01,
            "cart_incentive_code": "COMEBACK10",
            "ingress_port": free_port(),
            "temporal_address": client.service_client.config.target_host,
        }
    )

    async def same_client() -> Client:
        return client

    async with Served(create_ingress(demo, same_client), demo.ingress_port):
        yield demo


async def test_the_demo_plays_and_its_messages_show_in_the_outbox(
    demo_settings: Settings, sandbox: Served, restore_logging: None
) -> None:
    logs = io.StringIO()  # the processes' JSON logs, as `tidings worker` / `tidings ingress` write them
    configure_logging(json=True, level="DEBUG", stream=logs)
    messages = await Demo(demo_settings, WEBHOOK_SECRET, Console(file=io.StringIO()), API_TOKEN).run()
    written = logs.getvalue()
    assert written.count("\n") > 100 and all(line.startswith("{") for line in written.splitlines())
    for order in ORDERS:  # no customer's address in clear, even at DEBUG
        assert order.email not in written, order.email
        assert not order.phone or order.phone not in written, order.phone
    references = {str(m["reference"]) for m in messages if str(m.get("reference", "")).count(":") >= 3}
    for order in ORDERS:
        assert any(f"demo-store:{order.order_id}:" in r for r in references), (
            f"no message for {order.order_id}"
        )
    assert any(r.startswith("cart:bigcommerce:demo-store:") for r in references)
    assert any(r.startswith("consent:sms:") for r in references)

    async with chromium_page() as (page, expect):
        await page.goto(f"{sandbox.url}/?to=%2B14155550101")  # Ada's phone
        thread = page.locator('article.sms[data-address="+14155550101"]')
        await expect(thread).to_contain_text("Order #1001 has shipped with ups")
        await expect(thread).to_contain_text("Order #1001 was delivered")
        await page.goto(f"{sandbox.url}/?to=ada%40example.com")
        await expect(page.locator("article.email .subject").first).to_be_visible()
        subjects = await page.locator("article.email .subject").all_inner_texts()
        assert "You left something in your cart" in subjects and "Order #1001 is confirmed" in subjects
        await page.goto(f"{sandbox.url}/?to=%2B14155550105")  # Linus, who sent STOP
        linus = page.locator('article.sms[data-address="+14155550105"]')
        await expect(linus.locator(".line.in .bubble")).to_have_text("STOP")
        await expect(linus).to_contain_text("You are unsubscribed")
        await page.goto(f"{sandbox.url}/")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "demo-outbox.png"), full_page=True)
