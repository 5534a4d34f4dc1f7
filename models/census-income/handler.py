"""Gateway handler for the census-income model (see model.json).

The gateway has already validated every row against model.json's input
schema, so rows are trusted here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

ARTIFACT = Path("artifacts") / "model.joblib"

_pipeline: Any = None
_columns: list[str] = []
_classes: np.ndarray = np.empty(0)


def load(model_dir: Path) -> None:
    global _pipeline, _columns, _classes
    _pipeline = joblib.load(model_dir / ARTIFACT)
    # Column order comes from the artifact itself, so it always matches what
    # the pipeline was trained on.
    _columns = list(_pipeline.feature_names_in_)
    _classes = np.asarray(_pipeline.classes_)


def predict(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        # scikit-learn refuses an empty matrix; an empty batch is still valid.
        return []
    # pandas builds the frame from the dicts in C; one predict_proba call for
    # the whole batch is where batching pays (most of the cost is per call).
    frame = pd.DataFrame(rows, columns=_columns)
    proba = _pipeline.predict_proba(frame)
    best = proba.argmax(axis=1)
    # tolist() turns the NumPy values into Python floats and strs in C, so the
    # only per-row Python work left is assembling the result dicts.
    probability = proba[np.arange(len(best)), best].tolist()
    income = _classes[best].tolist()
    return [{"probability": p, "income": i} for p, i in zip(probability, income, strict=True)]
