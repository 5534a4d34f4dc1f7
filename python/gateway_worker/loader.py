"""Loads a model directory: model.json plus the handler module it names.

Used by the worker and by test/helpers/reference_predictions.py, so both run
a model exactly the same way.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "model.json"

Predict = Callable[[list[dict[str, Any]]], Any]


class ManifestError(Exception):
    """model.json is missing a field the worker needs."""


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    directory: Path
    predict: Predict


def load_model(model_dir: str | Path) -> LoadedModel:
    """Import the handler and call its optional `load(model_dir)` once."""
    directory = Path(model_dir).resolve()
    manifest = _read_manifest(directory)
    module = _import_handler(directory, manifest["handler"])

    load = getattr(module, "load", None)
    if load is not None:
        load(directory)

    predict = getattr(module, "predict", None)
    if not callable(predict):
        raise ManifestError(f"handler module {manifest['handler']!r} has no predict(rows)")
    return LoadedModel(manifest["name"], manifest["version"], directory, predict)


def _read_manifest(directory: Path) -> dict[str, Any]:
    with open(directory / MANIFEST, encoding="utf-8") as file:
        manifest = json.load(file)
    if not isinstance(manifest, dict):
        raise ManifestError(f"{MANIFEST} must hold a JSON object")
    for field in ("name", "version", "handler"):
        if not isinstance(manifest.get(field), str) or not manifest[field]:
            raise ManifestError(f"{MANIFEST}: {field!r} must be a non-empty string")
    return manifest


def _import_handler(directory: Path, name: str) -> Any:
    # First on sys.path so the handler can import its sibling modules, and so a
    # handler called e.g. `handler` wins over any installed module of that name.
    sys.path.insert(0, str(directory))
    # A module of the same name imported from another directory (a second model
    # loaded in the same test process) would otherwise be served from the cache.
    cached = sys.modules.get(name)
    if cached is not None and not _is_inside(getattr(cached, "__file__", None), directory):
        del sys.modules[name]
    return importlib.import_module(name)


def _is_inside(file: str | None, directory: Path) -> bool:
    return file is not None and Path(file).resolve().is_relative_to(directory)
