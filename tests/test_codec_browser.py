"""The Temporal Web UI in Chromium, with the dev server's `--ui-codec-endpoint` pointing at our codec
server (as `tidings dev` starts them): a browser that has not signed in to the codec server sees the
order's payloads encrypted; after signing in with a codec token, the same page shows them decoded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from domain.settings import Settings
from tests.browser import ARTIFACTS, chromium_page, chromium_path, sign_in_to_codec_server
from tests.conftest import WEBHOOK_SECRET, Served
from tests.shop import Shop, eventually
from tests.web_ui_stack import CODEC_TOKEN, WebUiStack, web_ui_stack

ORDER_ID = 4801


@pytest.fixture(scope="module")
async def encrypted_ui(settings: Settings, sandbox: Served) -> AsyncIterator[WebUiStack]:
    pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    if chromium_path() is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium (CI's .ci/run installs it)")
    async with web_ui_stack(settings, "tidings-codec-ui") as stack:
        yield stack


async def order_page(page: Any, ui: WebUiStack, workflow_id: str) -> None:
    await page.goto(f"{ui.url}/namespaces/default/workflows/{workflow_id}")


async def test_the_web_ui_shows_payloads_encrypted_without_a_codec_token_and_decoded_with_one(
    encrypted_ui: WebUiStack, http: httpx.AsyncClient, sandbox: Served
) -> None:
    shop = Shop(http, sandbox.url, encrypted_ui.ingress, WEBHOOK_SECRET)
    await shop.seed(ORDER_ID, status=11)
    assert (await shop.created(ORDER_ID)).status_code == 202
    workflow_id = shop.workflow_id(ORDER_ID)

    async def confirmed() -> bool:
        return len(await shop.steps(ORDER_ID)) >= 1

    await eventually(confirmed, timeout=60, what="the order confirmed")
    decoded_input = f'"order_id": "{ORDER_ID}"'

    async with chromium_page(1400, 1000) as (page, expect):
        await order_page(page, encrypted_ui, workflow_id)
        main = page.locator("main")
        await expect(page.get_by_role("heading", name=workflow_id)).to_be_visible()
        # Not signed in: the UI's request to the codec server is refused (401), the input stays ciphertext.
        await expect(main).to_contain_text("Codec Server could not connect", timeout=15_000)
        await expect(main.get_by_role("heading", name="Input")).to_be_visible()
        await expect(main).not_to_contain_text(decoded_input)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "web-ui-encrypted.png"), full_page=True)

        await sign_in_to_codec_server(page, encrypted_ui.codec_url, CODEC_TOKEN, encrypted_ui.url)
        await order_page(page, encrypted_ui, workflow_id)
        await expect(main).to_contain_text(decoded_input, timeout=15_000)
        await expect(main).not_to_contain_text("Codec Server could not connect")
        await page.screenshot(path=str(ARTIFACTS / "web-ui-decoded.png"), full_page=True)
