from __future__ import annotations

import json

import pytest

from conftest import DIGITS_DIR
from gateway_worker.loader import LoadedModel, load_model

ARTIFACT = DIGITS_DIR / "artifacts" / "model.joblib"

pytestmark = pytest.mark.skipif(
    not ARTIFACT.exists(),
    reason="models/digits/artifacts/model.joblib is missing: run models/digits/train.py first",
)

MANIFEST = json.loads((DIGITS_DIR / "model.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    pytest.importorskip("sklearn", reason="the digits model needs models/digits/requirements.txt")
    return load_model(DIGITS_DIR)


def test_the_manifest_example_is_a_zero(model: LoadedModel) -> None:
    [result] = model.predict([MANIFEST["example"]])
    assert result["digit"] == 0
    assert 0.5 < result["probability"] <= 1


def test_one_plain_result_per_row_in_order(model: LoadedModel) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = [{"pixels": image.tolist()} for image in digits.data[:300]]
    results = model.predict(rows)
    assert len(results) == len(rows)
    # Plain Python values (the worker frames them as MessagePack), within the declared output.
    assert all(type(r["digit"]) is int and type(r["probability"]) is float for r in results)
    assert all(0 <= r["digit"] <= 9 and 0 <= r["probability"] <= 1 for r in results)
    right = sum(r["digit"] == label for r, label in zip(results, digits.target[:300].tolist(), strict=True))
    assert right / len(rows) > 0.95
    # Each row is answered on its own: the same row alone gives the same digit.
    assert [model.predict([row])[0]["digit"] for row in rows[:20]] == [r["digit"] for r in results[:20]]


def test_an_empty_batch_is_an_empty_answer(model: LoadedModel) -> None:
    assert model.predict([]) == []
