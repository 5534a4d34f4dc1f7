"""In-process predictions, to compare with what the gateway answers.

Usage: python reference_predictions.py <model-dir> < rows.json > results.json

Reads a JSON array of rows on stdin, loads the model exactly as the worker
does (gateway_worker.loader; PYTHONPATH must include <repo>/python), predicts
all rows in a single predict() call and writes the results as a JSON array.
"""

from __future__ import annotations

import json
import os
import sys

from gateway_worker.loader import load_model
from gateway_worker.protocol import to_builtin


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    rows = json.load(sys.stdin)

    # Model code may print; as in the worker, keep its output off the channel
    # the caller parses. Moving fd 1 (not just sys.stdout) also catches output
    # from C extensions and subprocesses.
    sys.stdout.flush()
    results_fd = os.dup(1)
    os.dup2(2, 1)

    model = load_model(argv[0])
    results = model.predict(rows)

    sys.stdout.flush()
    # json's float repr round-trips exactly; to_builtin converts NumPy values
    # the same way the worker's MessagePack encoder does.
    text = json.dumps(results, default=to_builtin)
    with os.fdopen(results_fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
