"""Gateway handler for the digits model (see model.json).

The gateway has already validated every row: `pixels` is a list of exactly
64 numbers from 0 to 16.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np

ARTIFACT = Path("artifacts") / "model.joblib"

_pipeline: Any = None
_classes: np.ndarray = np.empty(0)


def load(model_dir: Path) -> None:
    global _pipeline, _classes
    _pipeline = joblib.load(model_dir / ARTIFACT)
    _classes = np.asarray(_pipeline.classes_)


def predict(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    # One (rows x 64) matrix for the whole batch: one predict_proba call.
    images = np.array([row["pixels"] for row in rows], dtype=np.float64)
    proba = _pipeline.predict_proba(images)
    best = proba.argmax(axis=1)
    digit = _classes[best].tolist()
    probability = proba[np.arange(len(best)), best].tolist()
    return [{"digit": d, "probability": p} for d, p in zip(digit, probability, strict=True)]
