"""Headless Chromium for the browser tests: Debian's `chromium` driven by Playwright's Python package
(its driver ships inside it; nothing is downloaded). Skips, saying how to get them, when either is
missing; CI's .ci/run installs Chromium."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@asynccontextmanager
async def chromium_page(width: int = 1100, height: int = 900) -> AsyncIterator[tuple[Any, Any]]:
    """A fresh page and Playwright's `expect`; the browser closes afterwards."""
    playwright_api = pytest.importorskip(
        "playwright.async_api", reason="the playwright package is not installed: pip install playwright"
    )
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium (CI's .ci/run installs it)")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield await browser.new_page(viewport={"width": width, "height": height}), playwright_api.expect
        finally:
            await browser.close()


async def sign_in_to_codec_server(page: Any, codec_url: str, token: str, ui_url: str) -> None:
    """What an operator does once per browser: sign in on the codec server's page (an HttpOnly cookie
    for its host), then tick "Include cross-origin credentials" in the Web UI's Codec Server settings
    (the UI keeps that choice in its local storage, as set here), so the UI's fetches carry the cookie."""
    await page.goto(f"{codec_url}/login")
    await page.get_by_label("Codec token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/login/done")
    await page.goto(ui_url)
    await page.evaluate(
        """endpoint => {
            localStorage.setItem("endpoint", JSON.stringify(endpoint));
            localStorage.setItem("includeCredentials", "true");
            localStorage.setItem("overrideRemoteCodecConfiguration", "true");
        }""",
        codec_url,
    )
