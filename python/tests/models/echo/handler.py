"""Returns each row unchanged; prints on every batch to prove stdout is free."""

from pathlib import Path

_loaded_from: Path | None = None


def load(model_dir: Path) -> None:
    global _loaded_from
    _loaded_from = model_dir
    print(f"echo: loaded from {model_dir}")


def predict(rows: list[dict]) -> list[dict]:
    # Would corrupt the frame stream if frames travelled on stdout.
    print(f"echo: predicting {len(rows)} rows")
    return rows
