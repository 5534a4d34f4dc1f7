"""Export the trained census-income pipeline to artifacts/model.onnx.

train.py calls this after training; run it on its own
(`PYTHONPATH=python models/census-income/.venv/bin/python models/census-income/export_onnx.py`) to export an existing
artifacts/model.joblib. The ONNX model (models/census-income-onnx) is served
by onnxruntime on Node worker threads, without Python; it is published only
when it agrees with scikit-learn on every adult.test row.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from gateway_worker.artifact_file import save_atomically
from features import CATEGORICAL, FEATURES, read_split

MODEL_DIR = Path(__file__).resolve().parent
JOBLIB = MODEL_DIR / "artifacts" / "model.joblib"
ONNX = MODEL_DIR / "artifacts" / "model.onnx"
# Trees compare in float32 in ONNX Runtime and float64 in scikit-learn: a
# threshold that falls between the two roundings moves a probability a little.
MAX_PROBABILITY_DIFFERENCE = 1e-5


def to_onnx(pipeline: Pipeline) -> bytes:
    # Imported here so that train.py runs (and the Python model serves) even
    # where the converter is not installed.
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    # One tensor per column, as the columns arrive in a request: strings for
    # the categoricals, int64 for the integers.
    initial_types = [
        (name, StringTensorType([None, 1]) if name in CATEGORICAL else Int64TensorType([None, 1])) for name in FEATURES
    ]
    # zipmap=False: probabilities as one [N, classes] tensor instead of a
    # sequence of maps, which onnxruntime-node cannot return.
    forest = pipeline.steps[-1][1]
    model = convert_sklearn(pipeline, initial_types=initial_types, options={id(forest): {"zipmap": False}}, target_opset=17)
    break_ties_as_scikit_learn(model, list(forest.classes_))
    return model.SerializeToString()


def break_ties_as_scikit_learn(model: object, classes: list[str]) -> None:
    """Rounds the probabilities to 5 decimals and picks the label from them as scikit-learn does.

    A forest's probability is a mean over its trees: exactly 0.5 for both
    classes in about 1 row in 250 of adult.test. scikit-learn sums in float64
    and picks the first class of a tie; ONNX Runtime sums in float32, lands
    one ulp either side of 0.5 (0.49999994 / 0.50000006) and its label then
    flips (39 of adult.test's 62 ties). Rounded to 5 decimals a tie is a tie
    again, and ArgMax takes its first class as NumPy does. Five, not six: the
    float32 sums of 100 trees are up to ~7e-7 off, so at six decimals a
    forest's 0.98 (49 of 50 pure leaves) would come out 0.979999; at five it
    is 0.98, as scikit-learn says, and no probability moves more than ~6e-6.
    """
    from onnx import TensorProto, helper

    graph = model.graph
    for node in graph.node:
        node.output[:] = [{"probabilities": "raw_probabilities", "label": "raw_label"}.get(name, name) for name in node.output]
    graph.node.extend(
        [
            helper.make_node("Constant", [], ["tie_scale"], value=helper.make_tensor("tie_scale_value", TensorProto.FLOAT, [], [1e5])),
            helper.make_node("Mul", ["raw_probabilities", "tie_scale"], ["scaled_probabilities"]),
            helper.make_node("Round", ["scaled_probabilities"], ["rounded_probabilities"]),
            helper.make_node("Div", ["rounded_probabilities", "tie_scale"], ["probabilities"]),
            helper.make_node("ArgMax", ["probabilities"], ["label_index"], axis=1, keepdims=0),
            helper.make_node(
                "Constant", [], ["class_names"], value=helper.make_tensor("class_names_value", TensorProto.STRING, [len(classes)], [c.encode() for c in classes])
            ),
            helper.make_node("Gather", ["class_names", "label_index"], ["label"], axis=0),
        ]
    )


def onnx_feeds(frame: pd.DataFrame, input_names: list[str]) -> dict[str, np.ndarray]:
    """adult.test as the graph's inputs; skl2onnx renames `education-num` to `education_num`."""
    by_onnx_name = {name.replace("-", "_"): name for name in FEATURES}
    feeds = {}
    for name in input_names:
        column = frame[by_onnx_name[name]]
        values = column.to_numpy(dtype=object if by_onnx_name[name] in CATEGORICAL else np.int64)
        feeds[name] = values.reshape(-1, 1)
    return feeds


def agreement(pipeline: Pipeline, model: bytes, frame: pd.DataFrame) -> tuple[float, int]:
    """Largest probability difference and number of label flips between scikit-learn and ONNX Runtime on `frame`."""
    import onnxruntime

    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    label, probabilities = session.run(["label", "probabilities"], onnx_feeds(frame, [i.name for i in session.get_inputs()]))
    expected = pipeline.predict_proba(frame)
    max_difference = float(np.abs(np.asarray(probabilities, dtype=np.float64) - expected).max())
    flips = int((np.asarray(label) != pipeline.predict(frame)).sum())
    return max_difference, flips


def export(pipeline: Pipeline, test: pd.DataFrame) -> bool:
    """Converts, checks every test row against scikit-learn and writes model.onnx; False (nothing written) on disagreement."""
    print("exporting to ONNX (skl2onnx)...", flush=True)
    started = time.perf_counter()
    model = to_onnx(pipeline)
    print(f"converted in {time.perf_counter() - started:.1f} s", flush=True)
    max_difference, flips = agreement(pipeline, model, test)
    print(
        f"ONNX Runtime against scikit-learn on {len(test)} adult.test rows: "
        f"max abs probability difference {max_difference:.2e} (limit {MAX_PROBABILITY_DIFFERENCE:.0e}), label flips {flips} (limit 0)",
        flush=True,
    )
    if max_difference > MAX_PROBABILITY_DIFFERENCE or flips > 0:
        print("the ONNX model disagrees with scikit-learn; model.onnx not written", file=sys.stderr)
        return False
    save_atomically(lambda file: file.write(model), ONNX)
    print(f"wrote {ONNX.relative_to(MODEL_DIR)} ({ONNX.stat().st_size / 1e6:.0f} MB)", flush=True)
    return True


def main() -> int:
    if not JOBLIB.exists():
        print(f"{JOBLIB.relative_to(MODEL_DIR)} is missing: run train.py (it exports the ONNX model too)", file=sys.stderr)
        return 1
    x_test, _ = read_split(MODEL_DIR / "data" / "adult.test")
    return 0 if export(joblib.load(JOBLIB), x_test) else 1


if __name__ == "__main__":
    sys.exit(main())
