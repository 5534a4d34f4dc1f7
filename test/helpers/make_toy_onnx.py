"""Writes a toy ONNX graph built with onnx.helper (no download): `python make_toy_onnx.py OUT.onnx [--unknown-op]`.

With --unknown-op the tag passes through an operator no runtime knows: the
file reads as a graph, and onnxruntime refuses to load it.

Inputs: `features` float32 [N, 3] and `tag` string [N, 1].
Outputs: `total` float32 [N, 1] (the row's sum), `doubled` float32 [N, 3], `tag_out` string [N, 1] (the tag).
"""

import sys

import onnx
from onnx import TensorProto, helper

features = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 3])
tag = helper.make_tensor_value_info("tag", TensorProto.STRING, ["N", 1])
total = helper.make_tensor_value_info("total", TensorProto.FLOAT, ["N", 1])
doubled = helper.make_tensor_value_info("doubled", TensorProto.FLOAT, ["N", 3])
tag_out = helper.make_tensor_value_info("tag_out", TensorProto.STRING, ["N", 1])
graph = helper.make_graph(
    [
        helper.make_node("Constant", [], ["axes"], value=helper.make_tensor("axes_value", TensorProto.INT64, [1], [1])),
        helper.make_node("ReduceSum", ["features", "axes"], ["total"], keepdims=1),
        helper.make_node("Constant", [], ["two"], value=helper.make_tensor("two_value", TensorProto.FLOAT, [], [2.0])),
        helper.make_node("Mul", ["features", "two"], ["doubled"]),
        helper.make_node("NoSuchOperator", ["tag"], ["tag_out"], domain="test.unknown")
        if "--unknown-op" in sys.argv
        else helper.make_node("Identity", ["tag"], ["tag_out"]),
    ],
    "toy",
    [features, tag],
    [total, doubled, tag_out],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("test.unknown", 1)])
model.ir_version = 8
if "--unknown-op" not in sys.argv:
    onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
