"""The ``members`` output of a calfin ONNX graph (the networks' probabilities one by one,
whose mean is ``probs``): added by ``model/export.py`` (``model/members.py``) and by
fine-tuning to the files they write, so that both give the uncertainty its members. Needs
only ``onnx``."""

from __future__ import annotations

import onnx

MEMBERS = "members"


def add_members_output(proto: onnx.ModelProto) -> int:
    """Add the ``members`` output (an Identity of the Concat that ``probs`` averages);
    return the number of members. A graph that has it already is left as it is."""
    graph = proto.graph
    if any(output.name == MEMBERS for output in graph.output):
        return _member_count(graph)
    (mean,) = [node for node in graph.node if "probs" in node.output]
    producers = {out: node for node in graph.node for out in node.output}
    stacked = producers.get(mean.input[0])
    if mean.op_type != "ReduceMean" or stacked is None or stacked.op_type != "Concat":
        raise SystemExit("probs is not a mean of stacked members: nothing to expose")
    graph.node.append(onnx.helper.make_node("Identity", [mean.input[0]], [MEMBERS]))
    shape = ["members", "batch", 2, "height", "width"]
    graph.output.append(onnx.helper.make_tensor_value_info(MEMBERS, onnx.TensorProto.FLOAT, shape))
    return len(stacked.input)


def _member_count(graph) -> int:
    (identity,) = [node for node in graph.node if MEMBERS in node.output]
    producers = {out: node for node in graph.node for out in node.output}
    return len(producers[identity.input[0]].input)
