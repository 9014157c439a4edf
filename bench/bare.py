"""The "bare" arm: what plain `temporalio` does for the same journey, with nothing of Tidings.

One workflow per journey, started by signal-with-start per webhook; each signal that should tell the
customer runs one activity that POSTs an SMS to the sandbox's OpenText endpoint (with a cached OAuth
token, as any client would). Timers where the journey waits. No encryption, no hydration, no store.

    .venv/bin/python -m bench.bare --address HOST:PORT --task-queue Q --opentext URL  # the worker
"""

from __future__ import annotations

import argparse
import asyncio

import httpx
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_workflow import BareJourney, BareSend


class BareSender:
    """POSTs to OpenText's SMS endpoint with a token fetched once."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token_url: str) -> None:
        self.http, self.base_url, self.token_url = http, base_url, token_url
        self.token: str | None = None

    async def bearer(self) -> str:
        if self.token is None:
            r = await self.http.post(
                self.token_url, data={"grant_type": "client_credentials"}, auth=("bench", "bench")
            )
            r.raise_for_status()
            self.token = str(r.json()["access_token"])
        return self.token

    @activity.defn(name="bare_send")
    async def send(self, send: BareSend) -> str:
        body = {
            "destinations": [{"sms": send.phone}],
            "sms_text": send.text,
            "options": {"customer_reference": send.reference},
        }
        r = await self.http.post(
            f"{self.base_url}/outbound/sms",
            json=body,
            headers={"Authorization": f"Bearer {await self.bearer()}"},
        )
        r.raise_for_status()
        return str(r.json()["job_id"])


async def serve(address: str, task_queue: str, opentext: str, token_url: str) -> None:
    client = await Client.connect(address)
    async with httpx.AsyncClient(timeout=20) as http:
        sender = BareSender(http, opentext, token_url)
        worker = Worker(client, task_queue=task_queue, workflows=[BareJourney], activities=[sender.send])
        await worker.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--opentext", required=True, help="OpenText base URL (…/mra/v1)")
    parser.add_argument("--token-url", required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue, args.opentext, args.token_url))
