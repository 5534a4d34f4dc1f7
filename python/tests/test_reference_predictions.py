from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import PYTHON_DIR, REPO_DIR, TOY_MODELS

SCRIPT = REPO_DIR / "test" / "helpers" / "reference_predictions.py"


def run(model: str, rows: list) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(TOY_MODELS / model)],
        input=json.dumps(rows),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PYTHON_DIR)},
        timeout=30,
        check=False,
    )


def test_stdout_holds_only_the_results_even_if_the_model_prints() -> None:
    rows = [{"a": 1, "b": "ü"}, {"a": 0.1 + 0.2}]
    done = run("echo", rows)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == rows
    assert "echo: predicting 2 rows" in done.stderr


def test_numpy_results_are_plain_json() -> None:
    done = run("encoding", [{}])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["array"] == [0, 1, 2]


def test_handler_error_fails_the_run() -> None:
    done = run("boom", [{"boom": True}])
    assert done.returncode != 0
    assert done.stdout == ""
    assert "row asked to explode" in done.stderr
