"""Raises for a batch containing a row {"boom": true}; echoes otherwise."""


def predict(rows: list[dict]) -> list[dict]:
    for row in rows:
        if row.get("boom"):
            raise ValueError("row asked to explode")
    return rows
