"""load() raises, as a missing artifact would."""

from pathlib import Path


def load(model_dir: Path) -> None:
    raise FileNotFoundError(f"no artifact in {model_dir.name}")


def predict(rows: list[dict]) -> list[dict]:
    raise AssertionError("never called: load() failed")
