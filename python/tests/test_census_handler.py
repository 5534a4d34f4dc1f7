from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from conftest import CENSUS_DIR
from gateway_worker.loader import LoadedModel, load_model
from gateway_worker.protocol import Kind

ARTIFACT = CENSUS_DIR / "artifacts" / "model.joblib"
INCOMES = {"<=50K", ">50K"}

pytestmark = pytest.mark.skipif(
    not ARTIFACT.exists(),
    reason=f"{ARTIFACT.relative_to(CENSUS_DIR.parents[1])} is missing: "
    "run models/census-income/train.py first",
)

EXAMPLE = json.loads((CENSUS_DIR / "model.json").read_text(encoding="utf-8"))["example"]


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    pytest.importorskip("sklearn", reason="census model needs models/census-income/requirements.txt")
    return load_model(CENSUS_DIR)


@pytest.fixture(scope="module")
def test_split() -> tuple[list[dict], list[str]]:
    features = _import_file("census_features", CENSUS_DIR / "features.py")
    frame, labels = features.read_split(CENSUS_DIR / "data" / "adult.test")
    return frame.to_dict("records"), labels.tolist()


def _import_file(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_valid(result: dict) -> None:
    assert list(result) == ["probability", "income"]
    assert type(result["probability"]) is float
    # The predicted class of two is never the less likely one.
    assert 0.5 <= result["probability"] <= 1.0
    assert result["income"] in INCOMES


def test_manifest_example(model: LoadedModel) -> None:
    assert (model.name, model.version) == ("census-income", "1.0.0")
    [result] = model.predict([EXAMPLE])
    assert_valid(result)


def test_unknown_categories_predict(model: LoadedModel) -> None:
    # "Self-emp" alone never occurs in training (only -inc / -not-inc).
    assert EXAMPLE["workclass"] == "Self-emp"
    strange = {**EXAMPLE, "education": "Klingon-academy", "native-country": "Atlantis", "sex": "?"}
    for result in model.predict([EXAMPLE, strange]):
        assert_valid(result)


def test_empty_batch(model: LoadedModel) -> None:
    assert model.predict([]) == []


def test_batch_equals_row_by_row(model: LoadedModel, test_split) -> None:
    rows = test_split[0][:1000]
    batch = model.predict(rows)
    assert len(batch) == 1000
    assert batch == [model.predict([row])[0] for row in rows]


def test_accuracy_on_adult_test(model: LoadedModel, test_split) -> None:
    rows, labels = test_split
    predicted = [result["income"] for result in model.predict(rows)]
    accuracy = sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(labels)
    assert accuracy >= 0.84


def test_served_by_a_real_worker(model: LoadedModel, test_split, tmp_path: Path) -> None:
    from worker_process import WorkerProcess

    rows = test_split[0][:50] + [EXAMPLE]
    worker = WorkerProcess(CENSUS_DIR, tmp_path)
    try:
        kind, _, ready = worker.next_message()
        assert (kind, ready["model"]) == (Kind.READY, "census-income")
        worker.send(Kind.PREDICT, 42, rows)
        assert worker.next_message() == (Kind.RESULT, 42, model.predict(rows))
    finally:
        worker.stop()
