"""Returns NumPy values, or an object MessagePack cannot encode for
a row {"unencodable": true}."""

import numpy as np


def predict(rows: list[dict]) -> list:
    if any(row.get("unencodable") for row in rows):
        return [{"value": object()} for _ in rows]
    return [
        {
            "float32": np.float32(0.5),
            "float64": np.float64(0.25),
            "int64": np.int64(-3),
            "bool": np.bool_(True),
            "array": np.arange(3),
            "matrix": np.array([[0.5, 1.5]]),
        }
        for _ in rows
    ]
