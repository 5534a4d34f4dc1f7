"""Helpers shared by the Python benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CENSUS_DIR = ROOT / "models" / "census-income"
RESULTS_DIR = ROOT / "bench" / "results"

# The benchmarks measure the worker's own code, so it must be importable
# without installing anything.
sys.path.insert(0, str(ROOT / "python"))

# The model's own reader of the Adult files (train.py uses it too).
sys.path.insert(0, str(CENSUS_DIR))
from features import read_split  # noqa: E402


def census_rows(limit: int) -> list[dict[str, Any]]:
    """The first `limit` rows of adult.test, shaped as the gateway sends them (label dropped)."""
    frame, _ = read_split(CENSUS_DIR / "data" / "adult.test")
    return frame.head(limit).to_dict("records")


def sizes_from(argv: Sequence[str], env: str, default: Sequence[int] = (1, 64, 256, 1024)) -> list[int]:
    """`--sizes 1,64` on the command line, else the environment variable, else the default."""
    raw = os.environ.get(env, "")
    if "--sizes" in argv:
        raw = argv[list(argv).index("--sizes") + 1]
    return [int(part) for part in raw.split(",")] if raw else list(default)


def time_per_call(fn: Callable[[], object], budget_s: float) -> float:
    """Seconds per call of `fn`, run for about `budget_s` after a short warm-up."""

    def run(budget: float) -> float:
        calls, batch = 0, 1
        start = time.perf_counter()
        elapsed = 0.0
        # Growing batches keep the clock out of the loop for the fast cases.
        while elapsed < budget:
            for _ in range(batch):
                fn()
            calls += batch
            elapsed = time.perf_counter() - start
            if elapsed < budget / 10:
                batch *= 2
        return elapsed / calls

    run(budget_s / 10)
    return run(budget_s)


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_result(scenario: str, result: dict[str, Any]) -> Path:
    """Writes bench/results/<scenario>-<ISO date>.json, like the TypeScript benchmarks."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z").replace(":", "-")
    path = RESULTS_DIR / f"{scenario}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])])
