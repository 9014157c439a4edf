"""SAP Commerce order statuses that mean a failed payment or a failed checkout alert operations,
through the `TidingsOrder` webhook into the ingress: a payment-gateway digest and a checkout digest,
each order counted once however often SAP saves it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.sap_commerce import simulate as sap
from connectors.sap_commerce.webhooks import ORDER_IO
from tests.conftest import SAP_PASSWORD, SAP_USER, Served
from tests.platforms.sap import SapShop
from tests.shop import eventually


async def alerts(http: httpx.AsyncClient, sandbox: Served, site: str, kind: str) -> list[dict[str, Any]]:
    messages = (await http.get(f"{sandbox.url}/sandbox/messages")).json()
    prefix = f"alerts:sap-commerce:{site}:{kind}:"
    return [m for m in messages if str(m.get("reference") or "").startswith(prefix)]


async def test_sap_payment_and_checkout_failures_alert_operations(
    http: httpx.AsyncClient, sandbox: Served, ingress: Served
) -> None:
    shop = SapShop(http, sandbox.url, ingress.url, SAP_USER, SAP_PASSWORD)

    async def save(code: str, status: str) -> None:
        doc = sap.order_document(shop.store, code, status=status, placed_at=datetime.now(UTC))
        await shop.seeds.put("orders", code, doc)
        assert (await shop.post(ORDER_IO, doc)).status_code == 202

    declined = f"D{uuid.uuid4().hex[:6]}"
    await save(declined, "PAYMENT_NOT_AUTHORIZED")
    await save(declined, "PAYMENT_NOT_AUTHORIZED")  # saved again: the same failure, counted once
    await save(f"X{uuid.uuid4().hex[:6]}", "PROCESSING_ERROR")

    async def both() -> bool:
        return all(
            [await alerts(http, sandbox, shop.store, k) for k in ("payment_gateway_error", "checkout_failed")]
        )

    await eventually(both, timeout=60, what="the payment and checkout alerts")
    [payment] = await alerts(http, sandbox, shop.store, "payment_gateway_error")
    assert payment["to"] == "ops@shop.test" and declined in payment["body"]
    assert "Payment gateway errors: 1" in payment["subject"], payment["subject"]
    [checkout] = await alerts(http, sandbox, shop.store, "checkout_failed")
    assert "PROCESSING_ERROR" in checkout["body"]
