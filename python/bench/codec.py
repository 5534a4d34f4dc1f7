"""Scenario: the Python half of the worker protocol's payload codec.

Decode a batch of N census rows and encode N results, with the worker's own
MessagePack functions (gateway_worker.protocol) against json, and orjson when
it is importable. The Node half is bench/codec.ts.

    models/census-income/.venv/bin/python python/bench/codec.py [--sizes 1,64,256,1024]
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Callable
from typing import Any

from _common import census_rows, format_table, machine, sizes_from, time_per_call, write_result
from gateway_worker.protocol import decode_payload, encode_payload

try:
    import orjson
except ImportError:  # optional: json is the baseline either way
    orjson = None

BUDGET_S = float(os.environ.get("BENCH_TIME_S", "1"))


def fake_results(n: int) -> list[dict[str, Any]]:
    """Results shaped like the model's: probability of the chosen class (0.5–1) and its label."""
    rng = random.Random(12345)
    out = []
    for _ in range(n):
        p = 0.5 + rng.random() * 0.5
        out.append({"probability": p, "income": ">50K" if p > 0.75 else "<=50K"})
    return out


def main() -> None:
    sizes = sizes_from(sys.argv[1:], "BENCH_SIZES")
    all_rows = census_rows(max(sizes))
    measures: list[dict[str, Any]] = []
    for n in sizes:
        rows, results = all_rows[:n], fake_results(n)
        packed_rows = encode_payload(rows)
        json_rows = json.dumps(rows).encode()
        cases: list[tuple[str, str, int, Callable[[], object]]] = [
            ("decode rows", "msgpack", len(packed_rows), lambda: decode_payload(packed_rows)),
            ("decode rows", "json", len(json_rows), lambda: json.loads(json_rows)),
            ("encode results", "msgpack", len(encode_payload(results)), lambda: encode_payload(results)),
            ("encode results", "json", len(json.dumps(results).encode()), lambda: json.dumps(results).encode()),
        ]
        if orjson is not None:
            cases.insert(2, ("decode rows", "orjson", len(json_rows), lambda: orjson.loads(json_rows)))
            cases.append(("encode results", "orjson", len(orjson.dumps(results)), lambda: orjson.dumps(results)))
        for op, codec, size, fn in cases:
            seconds = time_per_call(fn, BUDGET_S)
            measures.append({"n": n, "op": op, "codec": codec, "bytes": size,
                             "usPerBatch": round(seconds * 1e6, 2), "opsPerSec": round(1 / seconds)})

    codecs = ["msgpack", "json"] + (["orjson"] if orjson is not None else [])
    table_rows = []
    for n in sizes:
        for op in ("decode rows", "encode results"):
            us = {m["codec"]: m["usPerBatch"] for m in measures if m["n"] == n and m["op"] == op}
            ratio = us["json"] / us["msgpack"]
            faster = f"msgpack x{ratio:.2f}" if ratio >= 1 else f"json x{1 / ratio:.2f}"
            table_rows.append([f"{op} N={n}", *(us[c] for c in codecs), faster])
    table = format_table(["python", *(f"{c} us" for c in codecs), "msgpack vs json"], table_rows)
    output = {"scenario": "codec-python", "machine": machine(), "settings": {"sizes": sizes, "budgetS": BUDGET_S},
              "orjson": getattr(orjson, "__version__", None), "measures": measures}
    path = write_result("codec-python", output)
    print(json.dumps(output, indent=2))
    print(f"{table}\n(results: {path})", file=sys.stderr)


if __name__ == "__main__":
    main()
