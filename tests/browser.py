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
