"""Drives an Open Inference Protocol (V2) server with the real `tritonclient.http`.

Usage: python v2_client.py HOST:PORT MODEL < rows.json

Reads a JSON list of rows (objects keyed by the model's input names) on
stdin, builds one input tensor per input of the model's metadata (one column
each; `[N, n]` for a list input), and prints one JSON object with what the
client saw: liveness and readiness, the server and model metadata, the
outputs of one inference with JSON tensors both ways and of one with the
client's defaults (binary inputs and binary outputs), and the message the
client raises for an input the model does not have.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

NUMPY_TYPES = {
    "BOOL": np.bool_,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
}


def column(rows, name, datatype):
    values = [row[name] for row in rows]
    if datatype == "BYTES":
        return np.array([str(v).encode("utf-8") for v in values], dtype=np.object_)
    return np.array(values, dtype=NUMPY_TYPES[datatype])


def inputs_for(metadata, rows, binary):
    inputs = []
    for spec in metadata["inputs"]:
        name = spec["name"]
        if name not in rows[0]:
            continue  # an optional input the rows leave out
        array = column(rows, name, spec["datatype"])
        tensor = httpclient.InferInput(name, list(array.shape), spec["datatype"])
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    return inputs


def plain(array):
    if array.dtype == np.object_:
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1).tolist()]
    return array.tolist()


def outputs_of(result, metadata):
    return {spec["name"]: plain(result.as_numpy(spec["name"])) for spec in metadata["outputs"]}


def main():
    url, model = sys.argv[1], sys.argv[2]
    rows = json.load(sys.stdin)
    client = httpclient.InferenceServerClient(url)
    report = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model),
        "server_metadata": client.get_server_metadata(),
        "metadata": client.get_model_metadata(model),
    }
    metadata = report["metadata"]

    # JSON both ways: JSON input data, and every output asked for as JSON.
    requested = [httpclient.InferRequestedOutput(spec["name"], binary_data=False) for spec in metadata["outputs"]]
    result = client.infer(model, inputs_for(metadata, rows, binary=False), outputs=requested, request_id="json-1", parameters={"content_type": "pd"})
    report["json"] = outputs_of(result, metadata)
    report["json_id"] = result.get_response()["id"]

    # The client's defaults: binary input tensors, and no outputs named, so binary_data_output.
    result = client.infer(model, inputs_for(metadata, rows, binary=True))
    report["binary"] = outputs_of(result, metadata)
    report["binary_sizes"] = {o["name"]: o.get("parameters", {}).get("binary_data_size") for o in result.get_response()["outputs"]}

    bogus = httpclient.InferInput("no-such-input", [1], "FP32")
    bogus.set_data_from_numpy(np.array([1.0], dtype=np.float32))
    try:
        client.infer(model, inputs_for(metadata, rows, binary=True) + [bogus])
        report["error"] = None
    except InferenceServerException as error:
        report["error"] = {"message": error.message(), "status": error.status()}

    client.close()
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
