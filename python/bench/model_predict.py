"""Scenario: the model's own predict() time per batch, to put the codec in perspective.

Loads the model exactly as the worker does (gateway_worker.loader) and times
predict(rows) for batches of N census rows.

    models/census-income/.venv/bin/python python/bench/model_predict.py [--sizes 1,64,256,1024]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

from _common import CENSUS_DIR, census_rows, format_table, machine, sizes_from, write_result
from gateway_worker.loader import load_model

REPEATS = int(os.environ.get("BENCH_REPEATS", "30"))


def main() -> None:
    sizes = sizes_from(sys.argv[1:], "BENCH_SIZES")
    model = load_model(CENSUS_DIR)
    all_rows = census_rows(max(sizes))
    measures: list[dict[str, Any]] = []
    for n in sizes:
        rows = all_rows[:n]
        for _ in range(3):  # first calls pay for lazy imports and caches
            model.predict(rows)
        samples = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            model.predict(rows)
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        measures.append({"n": n, "medianMs": round(statistics.median(samples), 2), "minMs": round(samples[0], 2),
                         "p90Ms": round(samples[int(0.9 * (len(samples) - 1))], 2), "repeats": REPEATS})

    table = format_table(["predict()", "median ms", "min ms", "p90 ms", "us/row"],
                         [[f"N={m['n']}", m["medianMs"], m["minMs"], m["p90Ms"], round(m["medianMs"] * 1000 / m["n"], 1)]
                          for m in measures])
    output = {"scenario": "model-predict", "model": f"{model.name} {model.version}", "machine": machine(),
              "measures": measures}
    path = write_result("model-predict", output)
    print(json.dumps(output, indent=2))
    print(f"{table}\n(results: {path})", file=sys.stderr)


if __name__ == "__main__":
    main()
