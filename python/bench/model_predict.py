"""Scenario: the model's own predict() time per batch, to put the codec in perspective.

Loads the model exactly as the worker does (gateway_worker.loader) and times
predict(rows) for batches of N census rows. With `--with-raw` it also times
the bare `predict_proba` of the artifact on a prebuilt DataFrame of the same
rows (`raw*` fields): the floor bench/worker-efficiency.ts compares a worker with.

    models/census-income/.venv/bin/python python/bench/model_predict.py [--sizes 1,64,256,1024] [--with-raw]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import joblib

from _common import CENSUS_DIR, census_rows, format_table, machine, read_split, sizes_from, write_result
from gateway_worker.loader import load_model

REPEATS = int(os.environ.get("BENCH_REPEATS", "30"))


def timings_ms(call: Callable[[], object]) -> dict[str, float]:
    for _ in range(3):  # first calls pay for lazy imports and caches
        call()
    samples, cpu = [], []
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.thread_time()
        call()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    samples.sort()
    # CPU time is what this thread itself spent: on a shared machine it moves
    # less than wall time when other processes take the cores.
    return {"medianMs": round(statistics.median(samples), 3), "minMs": round(samples[0], 3),
            "p90Ms": round(samples[int(0.9 * (len(samples) - 1))], 3), "cpuMedianMs": round(statistics.median(cpu), 3)}


def main() -> None:
    sizes = sizes_from(sys.argv[1:], "BENCH_SIZES")
    with_raw = "--with-raw" in sys.argv[1:]
    model = load_model(CENSUS_DIR)
    all_rows = census_rows(max(sizes))
    # The artifact loaded on its own, and the rows as the DataFrame it was trained on: no handler in between.
    pipeline = joblib.load(CENSUS_DIR / "artifacts" / "model.joblib") if with_raw else None
    frame = read_split(CENSUS_DIR / "data" / "adult.test")[0] if with_raw else None
    measures: list[dict[str, Any]] = []
    for n in sizes:
        rows = all_rows[:n]
        measure: dict[str, Any] = {"n": n, **timings_ms(lambda: model.predict(rows)), "repeats": REPEATS}
        if pipeline is not None and frame is not None:
            batch = frame.head(n)
            raw = timings_ms(lambda: pipeline.predict_proba(batch))
            measure.update({"rawMedianMs": raw["medianMs"], "rawMinMs": raw["minMs"], "rawP90Ms": raw["p90Ms"],
                            "rawCpuMedianMs": raw["cpuMedianMs"]})
        measures.append(measure)

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
