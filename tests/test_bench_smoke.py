"""`make bench` keeps working: its quick mode runs both arms end to end, fills every figure of the
results file, and the report writes them into the README's Performance block."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from bench.report import END, START, write

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_benchmark_measures_every_figure_of_both_arms(tmp_path: Path) -> None:
    results_file = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(results_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(results_file.read_text())

    figures = [results[name] for name in ("e2e_orders_per_s", "cpu_ms_per_order", "ingest_per_s")]
    figures += [results["latency"][f"p{p}_ms"] for p in (50, 95, 99)]
    for figure in figures:
        assert all(math.isfinite(figure[k]) and figure[k] > 0 for k in ("tidings", "bare", "ratio")), figure
    for journey in ("order", "cart", "case"):
        history = results["history"][journey]
        assert history["tidings"]["events"] > 0 and history["bare"]["events"] > 0, history
    assert results["rss"]["tidings_mib"] > 0 and results["rss"]["bare_mib"] > 0
    assert results["restock"]["ok"] and results["restock"]["achieved_per_s"] > 0, results["restock"]

    readme = tmp_path / "README.md"
    readme.write_text(f"# Tidings\n\n## Performance\n\n{START}\nSTALE-TABLE\n{END}\n\n## Next\n")
    write(readme, results)
    text = readme.read_text()
    assert "STALE-TABLE" not in text and text.endswith("## Next\n")
    assert f"{results['e2e_orders_per_s']['ratio']:.2f}" in text and "extrapolation" in text
