"""`make bench`: Tidings against bare `temporalio` on the same dev server, in one run, arms alternated
(ABBA) round by round; every figure is quoted as the median of the per-round ratios.

    .venv/bin/python -m bench [--rounds 4] [--orders 300] [--latency-orders 50] [--open 2000] [--quick]

Writes bench/results.json; `python -m bench.report` puts it into README.md's Performance section."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from temporalio.api.history.v1 import History

from bench.arms import Arm, Round, e2e_round, latency_round
from bench.journeys import HistorySize, bare_replica, settled_history, standard_order
from bench.procs import rss_bytes
from bench.stack import ROOT, SECRET, Stack, stack
from starter.history import read_history
from tests.shop import Shop

RESULTS = Path(__file__).resolve().parent / "results.json"
CORPUS = ROOT / "tests" / "histories"
CORPUS_JOURNEYS = {  # journeys the live run does not play: weighed as the replay corpus recorded them
    "cart": "cart__bigcommerce__demo-store__c0ffee00-0000-4000-8000-00000000ada1.json",
    "case": "case__bigcommerce__demo-store__order-1004.json",
}


def arms_for(round_: int) -> list[Arm]:
    return ["bare", "tidings"] if round_ % 2 == 0 else ["tidings", "bare"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median_ratio(tidings: list[float], bare: list[float]) -> float:
    return statistics.median(t / b for t, b in zip(tidings, bare, strict=True))


async def throughput(s: Stack, rounds: int, orders: int, concurrency: int) -> dict[str, Any]:
    runs: dict[Arm, list[Round]] = {"tidings": [], "bare": []}
    for r in range(rounds):
        for arm in arms_for(r):
            runs[arm].append(await e2e_round(s, arm, orders, concurrency))
        t, b = runs["tidings"][-1], runs["bare"][-1]
        print(
            f"round {r + 1}: e2e {t.e2e_per_s:6.1f} vs {b.e2e_per_s:6.1f}/s  "
            f"ingest {t.accepted_per_s:6.1f} vs {b.accepted_per_s:6.1f}/s  "
            f"cpu {t.cpu_ms_per_order:6.1f} vs {b.cpu_ms_per_order:6.1f} ms/order",
            flush=True,
        )

    def figure(field: str) -> dict[str, Any]:
        t = [getattr(x, field) for x in runs["tidings"]]
        b = [getattr(x, field) for x in runs["bare"]]
        return {
            "tidings": statistics.median(t),
            "bare": statistics.median(b),
            "ratio": median_ratio(t, b),
            "rounds": {"tidings": t, "bare": b},
        }

    return {
        "e2e_orders_per_s": figure("e2e_per_s"),
        "cpu_ms_per_order": figure("cpu_ms_per_order"),
        "worker_cpu_ms_per_order": figure("worker_cpu_ms_per_order"),
        "ingest_per_s": figure("accepted_per_s"),
    }


async def latency(s: Stack, rounds: int, orders: int, rate: float) -> dict[str, Any]:
    found: dict[Arm, list[list[float]]] = {"tidings": [], "bare": []}
    for r in range(rounds):
        for arm in arms_for(r):
            found[arm].append(await latency_round(s, arm, orders, rate))
        print(
            f"latency round {r + 1}: p50 {percentile(found['tidings'][-1], 50):6.1f} "
            f"vs {percentile(found['bare'][-1], 50):6.1f} ms",
            flush=True,
        )
    out: dict[str, Any] = {"rate_per_s": rate, "orders_per_round": orders}
    for p in (50, 95, 99):
        t = [percentile(x, p) for x in found["tidings"]]
        b = [percentile(x, p) for x in found["bare"]]
        out[f"p{p}_ms"] = {
            "tidings": statistics.median(t),
            "bare": statistics.median(b),
            "ratio": median_ratio(t, b),
        }
    return out


def size_figure(tidings: HistorySize, bare: HistorySize, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "tidings": asdict(tidings),
        "bare": asdict(bare),
        "events_ratio": tidings.events / bare.events,
        "bytes_ratio": tidings.bytes / bare.bytes,
    }


async def histories(s: Stack) -> dict[str, Any]:
    shop = Shop(s.http, s.sandbox_url, s.ingress_url, SECRET)
    order = HistorySize.of(await settled_history(s.tidings, await standard_order(shop, s.tidings, 1)))
    out = {
        "order": size_figure(
            order, await bare_replica(s.plain, s.bare_queue, "order", order), "live: the standard order"
        )
    }
    for name, file in CORPUS_JOURNEYS.items():
        recorded = HistorySize.of(History(events=read_history(CORPUS / file).events))
        out[name] = size_figure(
            recorded, await bare_replica(s.plain, s.bare_queue, name, recorded), f"corpus: {file}"
        )
    return out


async def memory(s: Stack, open_journeys: int, concurrency: int, opened: int) -> dict[str, Any]:
    """Worker RSS once `open_journeys` journeys are open on each (the rounds opened `opened`)."""
    more = max(0, open_journeys - opened)
    for arm in ("tidings", "bare"):
        if more:
            await e2e_round(s, arm, more, concurrency)  # type: ignore[arg-type]
    return {
        "open_journeys": max(open_journeys, opened),
        "tidings_mib": rss_bytes(s.worker_pid) / 2**20,
        "bare_mib": rss_bytes(s.bare_pid) / 2**20,
        "ratio": rss_bytes(s.worker_pid) / rss_bytes(s.bare_pid),
    }


def restock(subscribers: int, rate: float) -> dict[str, Any]:
    """bench/restock_rate.py in its own process (its own dev server and in-process worker)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # compiled, as the stack
    done = subprocess.run(
        [sys.executable, "bench/restock_rate.py", "--subscribers", str(subscribers), "--rate", str(rate)],
        cwd=ROOT,
        env={**env, "PYTHONPYCACHEPREFIX": f"{tempfile.gettempdir()}/tidings-bench-pycache"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    figures: dict[str, Any] = {
        "subscribers": subscribers,
        "configured_per_s": rate,
        "ok": done.returncode == 0,
    }
    achieved = re.search(r"achieved rate:\s+([\d.]+)", done.stdout)
    figures["achieved_per_s"] = float(achieved.group(1)) if achieved else None
    if not achieved:
        figures["output"] = (done.stdout + done.stderr)[-2000:]
    return figures


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
        "rounds": args.rounds,
        "orders_per_round": args.orders,
        "concurrency": args.concurrency,
    }
    async with stack() as s:
        for arm in ("bare", "tidings"):  # warm both workers and the server
            await e2e_round(s, arm, args.warmup, args.concurrency)  # type: ignore[arg-type]
        results.update(await throughput(s, args.rounds, args.orders, args.concurrency))
        results["latency"] = await latency(s, args.rounds, args.latency_orders, args.rate)
        results["history"] = await histories(s)
        opened = args.warmup + args.rounds * (args.orders + args.latency_orders)
        results["rss"] = await memory(s, args.open, args.concurrency, opened)
        results["load_average_after"] = os.getloadavg()[0]
    results["restock"] = restock(args.subscribers, args.restock_rate)
    results["seconds"] = round(time.monotonic() - started)
    return results


def table(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, Tidings, bare, ratio) rows, as README and the terminal show them."""
    lat = r["latency"]
    rows = [
        (
            "orders processed per second (webhook → confirmation sent)",
            f"{r['e2e_orders_per_s']['tidings']:.1f}",
            f"{r['e2e_orders_per_s']['bare']:.1f}",
            f"{r['e2e_orders_per_s']['ratio']:.2f}",
        ),
        (
            "CPU ms per order at saturation (worker + server + ingress + load)",
            f"{r['cpu_ms_per_order']['tidings']:.1f}",
            f"{r['cpu_ms_per_order']['bare']:.1f}",
            f"{r['cpu_ms_per_order']['ratio']:.2f}×",
        ),
        (
            "worker CPU ms per order",
            f"{r['worker_cpu_ms_per_order']['tidings']:.1f}",
            f"{r['worker_cpu_ms_per_order']['bare']:.1f}",
            f"{r['worker_cpu_ms_per_order']['ratio']:.2f}×",
        ),
    ]
    for p in (50, 95, 99):
        f = lat[f"p{p}_ms"]
        rows.append(
            (
                f"webhook → OpenText request p{p} ({lat['rate_per_s']:g}/s open loop)",
                f"{f['tidings']:.0f} ms",
                f"{f['bare']:.0f} ms",
                f"{f['ratio']:.2f}×",
            )
        )
    for name, h in r["history"].items():
        rows.append(
            (
                f"history per {name} journey, events (bytes)",
                f"{h['tidings']['events']} ({h['tidings']['bytes'] / 1000:.1f} KB)",
                f"{h['bare']['events']} ({h['bare']['bytes'] / 1000:.1f} KB)",
                f"{h['events_ratio']:.2f}× ({h['bytes_ratio']:.2f}× bytes)",
            )
        )
    rss = r["rss"]
    rows.append(
        (
            f"worker RSS with {rss['open_journeys']:,} open journeys",
            f"{rss['tidings_mib']:.0f} MiB",
            f"{rss['bare_mib']:.0f} MiB",
            f"{rss['ratio']:.2f}×",
        )
    )
    ing = r["ingest_per_s"]
    rows.append(
        (
            "ingest with the worker running (webhooks accepted/s)",
            f"{ing['tidings']:.0f}/s",
            f"{ing['bare']:.0f}/s",
            f"{ing['ratio']:.2f}",
        )
    )
    rs = r["restock"]
    achieved = rs["achieved_per_s"]
    rows.append(
        (
            f"restock: {rs['subscribers']} watchers told, send rate vs configured",
            f"{achieved:.1f}/s" if achieved else "failed",
            f"{rs['configured_per_s']:g}/s (limit)",
            f"{achieved / rs['configured_per_s']:.2f}" if achieved else "-",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--orders", type=int, default=300, help="orders per throughput round and arm")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-orders", type=int, default=50, help="orders per latency round and arm")
    parser.add_argument("--rate", type=float, default=5.0, help="latency rounds' open-loop rate")
    parser.add_argument("--open", type=int, default=2000, help="open journeys per worker for the RSS row")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--subscribers", type=int, default=300, help="restock watchers")
    parser.add_argument("--restock-rate", type=float, default=50.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="a smoke run (well under a minute of measuring)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.orders, args.latency_orders, args.rate = 2, 20, 6, 5.0
        args.open, args.warmup, args.subscribers, args.restock_rate = 0, 5, 20, 20.0
    results = asyncio.run(bench(args))
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(row[0]) for row in table(results))
    print(f"\n{'figure':<{width}}  {'Tidings':>18}  {'bare':>18}  ratio (median of rounds)")
    for name, tidings, bare, ratio in table(results):
        print(f"{name:<{width}}  {tidings:>18}  {bare:>18}  {ratio}")
    print(
        f"\n{results['seconds']} s; load average {results['load_average_before']:.1f} → "
        f"{results['load_average_after']:.1f} on {results['cores']} cores; written to {args.output}"
    )
