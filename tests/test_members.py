"""model/members.py: a graph that averages its members gains a ``members`` output."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.conftest import ROOT

onnx = pytest.importorskip("onnx")  # model/requirements-train.txt
sys.path.insert(0, str(ROOT / "model"))

from members import MEMBERS, add_members_output, check  # noqa: E402


def averaging_graph() -> onnx.ModelProto:
    """probs = mean of two 'networks' (sigmoid of x, sigmoid of 2x), stacked as export does."""
    h = onnx.helper
    axes = h.make_tensor("axes", onnx.TensorProto.INT64, [1], [0])
    two = h.make_tensor("two", onnx.TensorProto.FLOAT, [], [2.0])
    nodes = [
        h.make_node("Sigmoid", ["input"], ["a"]),
        h.make_node("Mul", ["input", "two"], ["x2"]),
        h.make_node("Sigmoid", ["x2"], ["b"]),
        h.make_node("Unsqueeze", ["a", "axes"], ["ua"]),
        h.make_node("Unsqueeze", ["b", "axes"], ["ub"]),
        h.make_node("Concat", ["ua", "ub"], ["stacked"], axis=0),
        h.make_node("ReduceMean", ["stacked"], ["probs"], axes=[0], keepdims=0),
    ]
    tensor = onnx.TensorProto.FLOAT
    graph = h.make_graph(
        nodes,
        "g",
        [h.make_tensor_value_info("input", tensor, ["n", 3, "h", "w"])],
        [h.make_tensor_value_info("probs", tensor, ["n", 3, "h", "w"])],
        initializer=[axes, two],
    )
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])


def test_members_are_exposed_once_and_average_to_probs(tmp_path) -> None:
    proto = averaging_graph()
    assert add_members_output(proto) == 2
    assert add_members_output(proto) == 2  # a second call changes nothing
    assert [output.name for output in proto.graph.output] == ["probs", MEMBERS]
    path = tmp_path / "m.onnx"
    onnx.save(proto, str(path))
    check(path)  # raises when the members' mean is not probs

    import onnxruntime as ort

    x = np.random.default_rng(0).random((2, 3, 64, 96), dtype=np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _, members = session.run(None, {"input": x})
    np.testing.assert_allclose(members[1], 1 / (1 + np.exp(-2 * x)), atol=1e-6)


def test_a_graph_without_stacked_members_is_refused() -> None:
    proto = averaging_graph()
    del proto.graph.node[-2:]
    proto.graph.node.append(onnx.helper.make_node("ReduceMean", ["ua"], ["probs"], axes=[0]))
    with pytest.raises(SystemExit, match="not a mean of stacked members"):
        add_members_output(proto)
