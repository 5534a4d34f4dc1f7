"""Train the digits classifier and write artifacts/model.joblib.

The data set ships inside scikit-learn (sklearn.datasets.load_digits: 1,797
8x8 images), so nothing is downloaded. The gateway runs it when the artifact
is missing; by hand, from the repository root:
`PYTHONPATH=python models/digits/.venv/bin/python models/digits/train.py`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import joblib
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from gateway_worker.artifact_file import save_atomically

MODEL_DIR = Path(__file__).resolve().parent
ARTIFACT = MODEL_DIR / "artifacts" / "model.joblib"
MIN_ACCURACY = 0.95


def main() -> int:
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(digits.data, digits.target, test_size=0.25, random_state=0, stratify=digits.target)
    print(f"training on {len(x_train)} images...", flush=True)
    started = time.perf_counter()
    pipeline = Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(max_iter=2000, random_state=0))]).fit(x_train, y_train)
    print(f"trained in {time.perf_counter() - started:.1f} s", flush=True)
    accuracy = float((pipeline.predict(x_test) == y_test).mean())
    print(f"test accuracy: {accuracy:.4f} on {len(x_test)} images", flush=True)
    if accuracy < MIN_ACCURACY:
        print(f"accuracy below {MIN_ACCURACY}; artifact not written", file=sys.stderr)
        return 1
    save_atomically(lambda file: joblib.dump(pipeline, file), ARTIFACT)
    print(f"wrote {ARTIFACT.relative_to(MODEL_DIR)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
