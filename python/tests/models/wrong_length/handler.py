"""Drops the last result, or returns a dict for a row {"not_list": true}."""


def predict(rows: list[dict]):
    if any(row.get("not_list") for row in rows):
        return {"rows": len(rows)}
    return rows[:-1]
