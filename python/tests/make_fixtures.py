"""Regenerate protocol/fixtures.json: `python python/tests/make_fixtures.py`.

Both protocol implementations must encode each payload to exactly `hex` and
decode `hex` back to `payload`. Values are chosen so the MessagePack bytes are
unambiguous from JSON in any language:
- floats are non-integral (JavaScript cannot tell 1.0 from 1),
- integers fit in 32 bits (JavaScript encoders disagree beyond that),
- map keys are never integer-like strings (JavaScript objects reorder those).
`--check` exits 1 if the file on disk differs from what would be written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# Runnable as a plain script, without PYTHONPATH=python.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gateway_worker.protocol import Kind, encode_frame  # noqa: E402

FIXTURES_PATH = Path(__file__).resolve().parents[2] / "protocol" / "fixtures.json"

CENSUS_EXAMPLE = {
    "age": 25, "workclass": "Self-emp", "fnlwgt": 176756, "education": "HS-grad",
    "education-num": 9, "marital-status": "Never-married",
    "occupation": "Farming-fishing", "relationship": "Own-child",
    "race": "White", "sex": "Male", "capital-gain": 0, "capital-loss": 0,
    "hours-per-week": 35, "native-country": "United-States",
}

MIXED_ROWS = [
    {
        "name": "Zoë Ødegård",
        "city": "北京",
        "emoji": "🚀",
        "small_negative": -1,
        "int8": -100,
        "int16": -30000,
        "int32": -2000000000,
        "uint8": 200,
        "uint16": 60000,
        "uint32": 4000000000,
        "ratio": 0.85,
        "negative_float": -2.5,
        "flag": True,
    },
    {
        "missing": None,
        "off": False,
        "nested": [1, [2.5, "three"], [], {"key": "välue"}],
        "empty_map": {},
        # 40 bytes: one above fixstr's 31, so it takes the str8 form.
        "long_text": "Married-civ-spouse / Exec-managerial / 1",
    },
]

# Argument order mirrors encode_frame(kind, id, payload).
SPECS: list[tuple[str, Kind, int, Any]] = [
    ("ready", Kind.READY, 0,
     {"protocol": 1, "model": "census-income", "version": "1.0.0", "pid": 4242}),
    ("predict-census-example", Kind.PREDICT, 1, [CENSUS_EXAMPLE]),
    ("predict-mixed-types", Kind.PREDICT, 2, MIXED_ROWS),
    ("result-one-row", Kind.RESULT, 1, [{"probability": 0.85, "income": "<=50K"}]),
    ("error-handler", Kind.ERROR, 2,
     {"code": "HANDLER_ERROR", "message": "ValueError: could not convert 'abc' to int"}),
    ("error-load-failed", Kind.ERROR, 0,
     {"code": "LOAD_FAILED", "message": "ModuleNotFoundError: No module named 'sklearn'"}),
    ("predict-empty", Kind.PREDICT, 3, []),
    ("predict-max-id", Kind.PREDICT, 4294967295, [{"age": 30}]),
]


def build_fixtures() -> list[dict[str, Any]]:
    return [
        {"name": name, "kind": int(kind), "id": id, "payload": payload,
         "hex": encode_frame(kind, id, payload).hex()}
        for name, kind, id, payload in SPECS
    ]


def render() -> str:
    return json.dumps(build_fixtures(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = FIXTURES_PATH.read_text(encoding="utf-8") if FIXTURES_PATH.exists() else ""
        if current != text:
            print(f"{FIXTURES_PATH} is stale; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    FIXTURES_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {len(SPECS)} fixtures to {FIXTURES_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
