"""Jet `mapUsingPython` handler for the census-income model.

Jet's contract: `transform_list(items: list[str]) -> list[str]`, one output per
input, in order. Each item is `<key>\t<row JSON>` (JetPeer joins them so the
Kafka key survives the Python stage); each output is `<key>\t<result JSON>`.

The prediction itself is the gateway's own census handler
(models/census-income/handler.py) on the same artifact, so the two systems
differ only in how rows reach Python and results leave it. Jet copies this
folder to a temporary directory, hence the model folder comes from
CENSUS_MODEL_DIR rather than a relative path.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

_MODEL_DIR = Path(os.environ["CENSUS_MODEL_DIR"])
sys.path.insert(0, str(_MODEL_DIR))

import handler as _census  # noqa: E402  (needs the model folder on sys.path)

# Loaded at import: Jet imports this module before the process reports ready,
# so the first batch does not pay for unpickling the 91 MB forest.
_census.load(_MODEL_DIR)


def transform_list(items: list[str]) -> list[str]:
    keys: list[str] = []
    rows: list[dict] = []
    for item in items:
        key, _, row = item.partition("\t")
        keys.append(key)
        rows.append(json.loads(row))
    results = _census.predict(rows)
    return [f"{key}\t{json.dumps(result)}" for key, result in zip(keys, results, strict=True)]
