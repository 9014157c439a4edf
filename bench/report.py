"""Writes bench/results.json into README.md's Performance section, between the bench markers only.

.venv/bin/python -m bench.report [--results bench/results.json] [--readme README.md]"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.run import RESULTS, ROOT, table

START = "<!-- bench:start (written by `python -m bench.report` from bench/results.json) -->"
END = "<!-- bench:end -->"


def scale_out(r: dict[str, Any], cores: int = 4, workers: int = 2) -> dict[str, float]:
    """On paper: each worker process is one Python thread of work, so at most one core; the whole
    machine is `cores` cores shared by every counted process (server, ingress, workers)."""
    worker_ms = r["worker_cpu_ms_per_order"]["tidings"]
    total_ms = r["cpu_ms_per_order"]["tidings"]
    by_workers = workers * 1000 / worker_ms
    by_machine = cores * 1000 / total_ms
    return {"by_workers": by_workers, "by_machine": by_machine, "orders_per_s": min(by_workers, by_machine)}


def block(r: dict[str, Any]) -> str:
    rows = "\n".join(f"| {name} | {t} | {b} | {ratio} |" for name, t, b, ratio in table(r))
    out = scale_out(r)
    history = "; ".join(f"{name}: {h['source']}" for name, h in r["history"].items())
    measured = (
        f"Measured {r['when']} with `{r['command']}` ({r['seconds']} s) on {r['cores']} cores, load average "
        f"{r['load_average_before']:.1f} before and {r['load_average_after']:.1f} after: the machine is "
        f"shared, so the ratios, not the absolute figures, are what carries over. {r['rounds']} rounds of "
        f"{r['orders_per_round']} orders per arm at concurrency {r['concurrency']}; every ratio is the "
        "median of the per-round ratios."
    )
    worker_ms, total_ms = r["worker_cpu_ms_per_order"]["tidings"], r["cpu_ms_per_order"]["tidings"]
    scale = (
        "**Scale-out — an extrapolation on paper, not a measurement:** the Tidings worker used "
        f"{worker_ms:.1f} CPU ms per order and all counted processes {total_ms:.1f} ms. Two worker "
        f"processes on a 4-core machine would be bound at ≈ {out['by_workers']:.0f} orders/s by the "
        f"workers (one core each) and at ≈ {out['by_machine']:.0f} orders/s by the 4 cores as a whole: "
        f"**≈ {out['orders_per_s']:.0f} orders/s**, provided Temporal's share scales with cores (a "
        "cluster's does; the dev server is one process)."
    )
    return "\n\n".join(
        [
            START,
            measured,
            f"| figure | Tidings | bare | ratio |\n|---|---|---|---|\n{rows}",
            f"Histories: {history}. Tidings bytes as stored (compressed and encrypted payloads).",
            scale,
            END,
        ]
    )


def write(readme: Path, results: dict[str, Any]) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no bench markers ({START} … {END})")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + block(results) + tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args()
    write(args.readme, json.loads(args.results.read_text()))


if __name__ == "__main__":
    main()
