"""Handler overhead: handler.predict(rows) vs raw predict_proba on a prebuilt
DataFrame, for a few batch sizes. Prints a table, then the figures as JSON.

    models/census-income/.venv/bin/python python/bench/handler_overhead.py [--sizes 1,256,1024] [--repeats 30]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "census-income"
sys.path.insert(0, str(MODEL_DIR))

import handler  # noqa: E402
from features import read_split  # noqa: E402


def timings_ms(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm caches and lazy imports
    samples = []
    # GC pauses would land on random samples and blur a sub-millisecond gap.
    gc.disable()
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        gc.enable()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,256,1024")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    handler.load(MODEL_DIR)
    pipeline = handler._pipeline
    frame, _ = read_split(MODEL_DIR / "data" / "adult.test")

    results = []
    print(f"{'rows':>6} {'raw min':>9} {'raw med':>9} {'handler min':>12} {'handler med':>12} {'overhead':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        batch = frame.iloc[:size]
        rows = batch.to_dict("records")
        raw = timings_ms(lambda: pipeline.predict_proba(batch), args.repeats)
        full = timings_ms(lambda: handler.predict(rows), args.repeats)
        entry = {
            "rows": size,
            "raw_min_ms": min(raw), "raw_median_ms": statistics.median(raw),
            "handler_min_ms": min(full), "handler_median_ms": statistics.median(full),
        }
        results.append(entry)
        print(f"{size:>6} {min(raw):>9.2f} {statistics.median(raw):>9.2f} {min(full):>12.2f} "
              f"{statistics.median(full):>12.2f} {statistics.median(full) - statistics.median(raw):>+9.2f}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
