"""What the payload codec costs per order, in CPU: every payload of a delivered BigCommerce order's
journeys (the order and its review request, from the replay corpus) encoded once, as the clients and
the worker write them, and decoded once, as the worker reads them back, N times over.

    .venv/bin/python -m bench.codec_cost [--orders 2000]

Prints CPU milliseconds per order (process time, so a loaded machine does not inflate it) and the
bytes written into Temporal with and without the codec."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History

from starter.codec import EncryptionCodec, KeyRing
from starter.history import read_history, recoded
from starter.history_payloads import history_payloads
from tests.codec_test_key import TEST_CODEC

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "histories"
ORDER = ["order__bigcommerce__demo-store__1001.json", "review__bigcommerce__demo-store__1001.json"]


def clear_payloads() -> list[Payload]:
    """The order's payloads as the SDK hands them to the codec (the corpus holds them encrypted)."""
    payloads: list[Payload] = []
    for name in ORDER:
        history = recoded(read_history(CORPUS / name), TEST_CODEC.decrypt)
        payloads += [
            Payload.FromString(p.SerializeToString())
            for p in history_payloads(History(events=history.events))
        ]
    return payloads


async def measure(orders: int) -> None:
    codec = EncryptionCodec(KeyRing({"bench": KeyRing.new_key()}, "bench"))
    payloads = clear_payloads()
    sealed = await codec.encode(payloads)
    assert await codec.decode(sealed) == payloads

    started = time.process_time()
    for _ in range(orders):
        await codec.decode(await codec.encode(payloads))
    cpu = time.process_time() - started

    clear_bytes = sum(p.ByteSize() for p in payloads)
    sealed_bytes = sum(p.ByteSize() for p in sealed)
    print(f"{len(payloads)} payloads per order ({', '.join(ORDER)})")
    print(f"codec CPU per order (encode + decode): {cpu / orders * 1000:.3f} ms  ({orders} orders)")
    print(f"bytes per order: {clear_bytes} clear, {sealed_bytes} compressed and encrypted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    asyncio.run(measure(parser.parse_args().orders))


if __name__ == "__main__":
    main()
