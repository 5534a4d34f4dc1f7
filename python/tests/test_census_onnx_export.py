"""models/census-income/export_onnx.py: the ONNX export agrees with scikit-learn, ties included, or is not written."""

from __future__ import annotations

import sys

import pytest

from conftest import CENSUS_DIR

pytest.importorskip("skl2onnx", reason="the export needs models/census-income/requirements.txt")
sys.path.insert(0, str(CENSUS_DIR))

import export_onnx  # noqa: E402
import train  # noqa: E402
from features import read_split  # noqa: E402


@pytest.fixture(scope="module")
def small_forest():
    """A 20-tree forest on 2,000 rows: quick to convert, with ~440 exact 0.5 ties on adult.test
    (grown-out trees mostly vote 0 or 1, 10 each way) that float32 sums miss by an ulp: 16 labels
    flip without the tie-breaking step of export_onnx."""
    x_train, y_train = read_split(CENSUS_DIR / "data" / "adult.data")
    x_test, _ = read_split(CENSUS_DIR / "data" / "adult.test")
    pipeline = train.build_pipeline()
    pipeline.set_params(forest__n_estimators=20)
    pipeline.fit(x_train.head(2000), y_train.head(2000))
    return pipeline, x_test


def test_the_export_agrees_with_scikit_learn_on_ties_too(small_forest):
    pipeline, test = small_forest
    ties = int((pipeline.predict_proba(test)[:, 0] == 0.5).sum())
    assert ties > 0, "the fixture should hold exact ties"
    max_difference, flips = export_onnx.agreement(pipeline, export_onnx.to_onnx(pipeline), test)
    assert flips == 0
    assert max_difference <= export_onnx.MAX_PROBABILITY_DIFFERENCE


def test_a_disagreeing_export_is_not_written(small_forest, tmp_path, monkeypatch, capsys):
    pipeline, test = small_forest
    target = tmp_path / "model.onnx"
    monkeypatch.setattr(export_onnx, "ONNX", target)
    monkeypatch.setattr(export_onnx, "MODEL_DIR", tmp_path)
    monkeypatch.setattr(export_onnx, "agreement", lambda *_: (0.25, 3))
    assert export_onnx.export(pipeline, test) is False
    assert not target.exists()
    output = capsys.readouterr()
    assert "max abs probability difference 2.50e-01" in output.out
    assert "label flips 3" in output.out
    assert "not written" in output.err


def test_an_agreeing_export_is_written(small_forest, tmp_path, monkeypatch):
    pipeline, test = small_forest
    target = tmp_path / "model.onnx"
    monkeypatch.setattr(export_onnx, "ONNX", target)
    monkeypatch.setattr(export_onnx, "MODEL_DIR", tmp_path)
    assert export_onnx.export(pipeline, test) is True
    assert target.stat().st_size > 0
