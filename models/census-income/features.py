"""Column layout of the UCI Adult files, shared by train.py and its tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# In file order; the names match model.json's input properties.
CATEGORICAL = [
    "workclass", "education", "marital-status", "occupation",
    "relationship", "race", "sex", "native-country",
]
NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
FEATURES = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country",
]
LABEL = "income"


def read_split(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels of adult.data or adult.test.

    `?` (missing) is kept as a category of its own: na_filter=False stops
    pandas from turning anything into NaN. The test split's labels end with a
    dot (`>50K.`), which is stripped so both splits share two classes.
    """
    frame = pd.read_csv(
        path,
        header=None,
        names=[*FEATURES, LABEL],
        skipinitialspace=True,
        na_filter=False,
        dtype={**{c: str for c in CATEGORICAL}, **{c: "int64" for c in NUMERIC}, LABEL: str},
    )
    labels = frame.pop(LABEL).str.rstrip(".")
    return frame, labels
