"""The outbox page in a real browser (Debian's Chromium driven by Playwright): what a person sees after
an SMS with a reply, an email and a push went through the sandbox. Leaves a full-page screenshot
in artifacts/outbox.png.

Needs the `playwright` Python package (its driver ships inside it; no `playwright install`, no
browser download) and a Chromium binary on the machine; skipped otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from connectors.opentext import OpenTextClient, PushMessage, TokenProvider
from connectors.opentext.callbacks import DEFAULT_CALLBACK_HEADER, parse_inbound, verify_callback
from connectors.sandbox import create_app
from tests.browser import ARTIFACTS, chromium_page
from tests.conftest import Served, free_port
from tests.test_sandbox_callbacks import wait_for

SECRET = "browser-test-secret"
CUSTOMER = "+14155550101"
OTHER = "+14155550199"
SMS_TEXT = "Tidings Store: order #1042 has shipped with UPS, tracking 1Z999. Reply STOP to opt out."
EMAIL_SUBJECT = "Your order #1042 is on its way"
EMAIL_HTML = """<!doctype html><html><body style="font-family: sans-serif; margin: 0; padding: 24px;">
<h1 style="color: #1d4ed8; font-size: 22px;">Your order is on its way</h1>
<p>Hi <b>Ana</b>, your <i>linen shirt</i> ships today &amp; arrives Thursday.</p>
<table style="border-collapse: collapse;"><tr><td style="padding: 4px 12px 4px 0;">Linen shirt × 2</td>
<td style="text-align: right;">€129.90</td></tr></table>
<p><a href="https://shop.example/orders/1042"
      style="display: inline-block; background: #1d4ed8; color: #fff; padding: 8px 16px;
             border-radius: 6px; text-decoration: none;">Track your parcel</a></p>
</body></html>"""
EMAIL_TEXT = (
    "Hi Ana, your linen shirt ships today and arrives Thursday. Track: https://shop.example/orders/1042"
)
PARCEL_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
<rect width="128" height="128" rx="16" fill="#fde68a"/>
<rect x="28" y="40" width="72" height="56" fill="#b45309"/>
<rect x="58" y="40" width="12" height="56" fill="#fcd34d"/></svg>"""


def fake_ingress() -> FastAPI:
    """A stand-in for our ingress: accepts replies (secret checked) and serves the push image."""
    app = FastAPI()

    @app.post("/callbacks/opentext/inbound")
    async def inbound(request: Request) -> JSONResponse:
        verify_callback(request.headers, header_name=DEFAULT_CALLBACK_HEADER, secret=SECRET)
        message = parse_inbound(await request.body())
        return JSONResponse({"accepted": message.provider_message_id}, status_code=202)

    @app.post("/callbacks/opentext/status")
    async def status() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/img/parcel.svg")
    async def parcel() -> Response:
        return Response(PARCEL_SVG, media_type="image/svg+xml")

    return app


@pytest.fixture
async def outbox() -> AsyncIterator[str]:
    """A sandbox holding an SMS thread with a reply, an email, a push and an SMS to someone else."""
    async with (
        Served(fake_ingress(), free_port()) as ingress,
        Served(create_app(ingress.url, SECRET, status_delay=0.05), free_port()) as sandbox,
        httpx.AsyncClient(timeout=10) as http,
    ):
        tokens = TokenProvider(
            http, token_url=f"{sandbox.url}/tenants/t/oauth2/token", client_id="c", client_secret="s"
        )
        opentext = OpenTextClient(http, f"{sandbox.url}/mra/v1", tokens)
        await opentext.send_sms(OTHER, "Your pickup code is 4411", "order:1043:ready")
        await opentext.send_sms(CUSTOMER, SMS_TEXT, "order:1042:shipped:sms")
        await opentext.send_email(
            "ana@example.com",
            EMAIL_SUBJECT,
            EMAIL_HTML,
            EMAIL_TEXT,
            "order:1042:shipped:email",
            from_name="Tidings Store",
        )
        await opentext.send_push(
            PushMessage(
                token="fcm-device-7f3a",
                title="Shipped!",
                body="Order #1042 is on its way.",
                image=f"{ingress.url}/img/parcel.svg",
                link="https://shop.example/orders/1042",
                data={"order_id": "1042"},
                key="order:1042:shipped:push",
            )
        )

        async def all_delivered() -> bool:
            messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
            return all(m["status"] == "delivered" for m in messages if m["channel"] != "push")

        await wait_for(all_delivered, "status callbacks for the SMS and the email")
        reply = await http.post(
            f"{sandbox.url}/sandbox/reply",
            json={"from": CUSTOMER, "text": "STOP", "reference": "order:1042:shipped:sms"},
        )
        assert reply.status_code == 202, reply.text
        yield sandbox.url


async def test_outbox_page_in_chromium(outbox: str) -> None:
    async with chromium_page() as (page, expect):
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(outbox + "/")

        # Newest first: the thread with the fresh reply, then push, email, the older SMS thread.
        articles = page.locator("main > article")
        await expect(articles).to_have_count(4)
        channels = [await a.get_attribute("data-channel") for a in await articles.all()]
        assert channels == ["sms", "push", "email", "sms"]

        # The SMS thread: our message on the left, the customer's STOP on the right, delivered.
        thread = page.locator(f'article.sms[data-address="{CUSTOMER}"]')
        ours = thread.locator(".line.out .bubble")
        theirs = thread.locator(".line.in .bubble")
        await expect(ours).to_have_text(SMS_TEXT)
        await expect(theirs).to_have_text("STOP")
        await expect(thread.locator(".line.out .status")).to_have_text("delivered")
        await expect(thread.locator(".line.out .reference")).to_have_text("order:1042:shipped:sms")
        await expect(thread.locator(".line.in")).to_contain_text("ingress answered 202")
        out_box, in_box = await ours.bounding_box(), await theirs.bounding_box()
        assert out_box and in_box
        assert in_box["y"] > out_box["y"]  # below it, as the later message
        assert in_box["x"] + in_box["width"] > out_box["x"] + out_box["width"]  # on the right
        assert await _background(theirs) != await _background(ours)

        # The email: subject, sender, the HTML rendered inside the sandboxed iframe.
        email = page.locator("article.email")
        await expect(email.locator(".subject")).to_have_text(EMAIL_SUBJECT)
        await expect(email.locator(".from")).to_contain_text("Tidings Store")
        await expect(email.locator(".status")).to_have_text("delivered")
        body = page.frame_locator("article.email iframe")
        await expect(body.locator("h1")).to_have_text("Your order is on its way")
        await expect(body.locator("b")).to_have_text("Ana")
        await expect(body.locator("a")).to_have_text("Track your parcel")
        assert "<h1" not in (await email.inner_text())  # rendered, not shown as source
        plain = email.locator("details pre")
        await expect(plain).to_be_hidden()
        await email.locator("summary").click()
        await expect(plain).to_have_text(EMAIL_TEXT)

        # The push: a notification card with its title, text, image and link.
        push = page.locator("article.push")
        await expect(push.locator(".title")).to_have_text("Shipped!")
        await expect(push.locator(".text")).to_have_text("Order #1042 is on its way.")
        await expect(push.locator(".link a")).to_have_attribute("href", "https://shop.example/orders/1042")
        image = push.locator("img")
        await expect(image).to_be_visible()
        assert await image.evaluate("img => img.complete && img.naturalWidth > 0")

        await email.locator("summary").click()  # folded again for the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "outbox.png"), full_page=True)

        # Filtering by recipient, as a person would: type the number, press Filter.
        await page.get_by_placeholder("Filter by recipient").fill(CUSTOMER)
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url("**/?to=*")
        await expect(articles).to_have_count(1)
        await expect(page.locator(f'article.sms[data-address="{CUSTOMER}"] .line')).to_have_count(2)
        await expect(page.locator("article.email, article.push")).to_have_count(0)
        text = await page.locator("body").inner_text()
        assert OTHER not in text and "ana@example.com" not in text and "fcm-device-7f3a" not in text
        await page.get_by_role("link", name="Show all").click()
        await expect(articles).to_have_count(4)

        assert problems == [], problems  # no script errors, no CSP violations


async def _background(locator: Any) -> str:
    value: str = await locator.evaluate("el => getComputedStyle(el).backgroundColor")
    return value
