"""Weights in and out of the ONNX file: the members of a calfin model read back into PyTorch,
and fine-tuned members written out with the same contract and metadata.

The exporter folded each BatchNorm into the Conv before it and named most weights
anonymously (``onnx::Conv_380``), so the weights are found through the node that uses
them: a node's output ``/nets.1/dec.3/dec.3.0/Conv_output_0`` is member 1's module
``dec.3.0``. Those Convs get the fused weight and bias and their BatchNorm becomes an
identity (``net.fused_unet``): the same function, to float rounding.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .. import contract
from ..errors import InputError
from .graph import add_members_output
from .net import ProbsWrapper, UNet, fused_unet

NODE_NAME = re.compile(r"^/nets\.(\d+)/(?:.*/)?([\w.]+)/(?:Conv|ConvTranspose)_output_0$")
"""Member index and module path (relative to the member) of a Conv node's output."""


def metadata(proto: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in proto.metadata_props}


def load_members(path: str | os.PathLike) -> tuple[list[UNet], dict[str, str]]:
    """The member networks of a calfin ONNX model (fused, see the module text) and its
    metadata; an error naming the fix when the file is not a calfin model."""
    try:
        proto = onnx.load(str(path))
    except Exception as err:  # onnx raises DecodeError and friends
        raise InputError(f"Cannot read {Path(path).name} as an ONNX model ({err}).") from err
    meta = metadata(proto)
    if contract.METADATA_KEYS["name"] not in meta:
        raise InputError(
            f"{Path(path).name} is not a calfin model (no calfin.* metadata). Fine-tune the "
            "bundled model or one written by calfin:fine_tune_model."
        )
    inits = {i.name: i for i in proto.graph.initializer}
    states: dict[int, dict[str, torch.Tensor]] = {}
    for node in proto.graph.node:
        match = NODE_NAME.match(node.output[0]) if node.op_type.startswith("Conv") else None
        if not match:
            continue
        member, module = int(match.group(1)), match.group(2)
        for name, suffix in zip(node.input[1:], ("weight", "bias"), strict=False):
            array = numpy_helper.to_array(inits[name]).copy()
            states.setdefault(member, {})[f"{module}.{suffix}"] = torch.from_numpy(array)
    if not states:
        raise InputError(f"{Path(path).name} holds no calfin U-Net members to fine-tune.")
    nets = []
    for member in sorted(states):
        net = fused_unet()
        try:
            net.load_state_dict(states[member], strict=True)
        except RuntimeError as err:
            raise InputError(
                f"{Path(path).name}: member {member} does not match calfin's U-Net ({err})."
            ) from err
        nets.append(net.eval())
    return nets, meta


def export(
    nets: list[torch.nn.Module], path: str | os.PathLike, meta: dict[str, str], doc: str
) -> None:
    """Write ``nets`` (averaged) as an ONNX model with calfin's input/output names and
    ``meta`` as its metadata (``path`` is written directly: callers write to a temporary
    name and rename, ``runner``)."""
    model = ProbsWrapper(*nets).eval()
    dummy = torch.zeros(1, contract.INPUT_CHANNELS, contract.TILE_SIZE, contract.TILE_SIZE)
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():  # the legacy exporter: the one model/export.py uses
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(path),
            dynamo=False,
            opset_version=17,
            input_names=["input"],
            output_names=["probs"],
            dynamic_axes={"input": axes, "probs": axes},
            do_constant_folding=True,
        )
    proto = onnx.load(str(path))
    add_members_output(proto)  # the uncertainty's members, as model/export.py writes them
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, meta)
    proto.doc_string = doc
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def max_difference(nets: list[torch.nn.Module], path: str | os.PathLike, seed: int = 0) -> float:
    """Largest absolute difference between onnxruntime running ``path`` and PyTorch running
    ``nets`` on random inputs of two sizes."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model = ProbsWrapper(*nets).eval()
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape in [(1, 3, 256, 256), (2, 3, 208, 304)]:
        x = rng.random(shape, dtype=np.float32)
        (ours,) = session.run(["probs"], {session.get_inputs()[0].name: x})
        with torch.no_grad():
            theirs = model(torch.from_numpy(x)).numpy()
        worst = max(worst, float(np.abs(ours - theirs).max()))
    return worst
