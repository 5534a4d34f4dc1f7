"""Shared paths for the Python tests (run from the repo root:
`PYTHONPATH=python python -m pytest python/tests`)."""

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
PYTHON_DIR = TESTS_DIR.parent
REPO_DIR = PYTHON_DIR.parent
TOY_MODELS = TESTS_DIR / "models"
CENSUS_DIR = REPO_DIR / "models" / "census-income"
DIGITS_DIR = REPO_DIR / "models" / "digits"
