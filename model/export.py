"""Export a trained checkpoint to ONNX with the calfin metadata, and verify it.

    .venv/bin/python model/export.py --checkpoint model/checkpoints/unet_all.pt --out model/calfin_unet.onnx

The graph takes ``input`` (N, 3, H, W) float32 (H, W multiples of 16; batch, height and
width are dynamic axes) and returns ``probs`` (N, 2, H, W): SIGMOID probabilities, channel 0
the calving-front edge, channel 1 ice (1) versus ocean (0), the mean of the networks; and
``members`` (networks, N, 2, H, W), each network's (``members.py``). onnxruntime's output is
compared with PyTorch's on several sizes; the export fails if the max abs diff >= 1e-4.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from members import add_members_output  # noqa: E402
from unet import ProbsWrapper, UNet  # noqa: E402

from calfin_qgis.core import contract  # noqa: E402

TOLERANCE = 1e-4


def metadata(version: str, pixel_size_m: str) -> dict[str, str]:
    values = {
        "name": "calfin_unet",
        "version": version,
        "preprocess": contract.PREPROCESS_VERSION,
        "channels": str(contract.INPUT_CHANNELS),
        "outputs": ",".join(contract.OUTPUT_NAMES),
        "tile_size": str(contract.TILE_SIZE),
        "size_multiple": str(contract.SIZE_MULTIPLE),
        "flow": contract.CANONICAL_FLOW,
        "pixel_size_m": pixel_size_m,
    }
    missing = set(contract.METADATA_KEYS) - set(values)
    if missing:
        raise KeyError(f"no value for metadata keys {sorted(missing)}")
    return {contract.METADATA_KEYS[k]: values[k] for k in contract.METADATA_KEYS}


def load_state(spec: str) -> dict[str, torch.Tensor]:
    """Float32 weights of ``run.pt`` (final EMA) or ``run.pt#0.5`` (a snapshot of train.py)."""
    path, _, snapshot = spec.partition("#")
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    states = ckpt["snapshots"][snapshot] if snapshot else ckpt["state_dict"]
    return {k: v.float() if v.is_floating_point() else v for k, v in states.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--checkpoint",
        required=True,
        nargs="+",
        help="one checkpoint, or several to average; run.pt#0.5 picks a snapshot",
    )
    ap.add_argument("--out", default=str(HERE / "calfin_unet.onnx"))
    ap.add_argument("--version", required=True, help="model version written into the file")
    ap.add_argument("--pixel-size-m", default=f"{contract.TRAIN_PIXEL_SIZE_M:g}")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)

    nets = []
    for spec in args.checkpoint:
        net = UNet()
        net.load_state_dict(load_state(spec))
        nets.append(net)
    model = ProbsWrapper(*nets).eval()

    out = Path(args.out)
    dummy = torch.zeros(1, contract.INPUT_CHANNELS, contract.TILE_SIZE, contract.TILE_SIZE)
    torch.onnx.export(
        model,
        (dummy,),
        str(out),
        dynamo=False,
        opset_version=args.opset,
        input_names=["input"],
        output_names=["probs"],
        dynamic_axes={
            "input": {0: "batch", 2: "height", 3: "width"},
            "probs": {0: "batch", 2: "height", 3: "width"},
        },
        do_constant_folding=True,
    )

    proto = onnx.load(str(out))
    del proto.metadata_props[:]
    meta = metadata(args.version, args.pixel_size_m)
    onnx.helper.set_model_props(proto, meta)
    add_members_output(proto)  # each member's probabilities too, for the uncertainty
    proto.doc_string = (
        f"CALFIN-style U-Net (Cheng et al. 2021), mean of {len(nets)} run(s), trained on "
        "FrontLearning (Mohajerani et al. 2019); outputs sigmoid probs [edge, ice mask]."
    )
    onnx.checker.check_model(proto)
    onnx.save(proto, str(out))

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for shape in [(1, 3, 256, 256), (2, 3, 208, 304), (1, 3, 320, 160)]:
        x = rng.random(shape, dtype=np.float32)
        (y_ort,) = sess.run(["probs"], {"input": x})
        with torch.no_grad():
            y_pt = model(torch.from_numpy(x)).numpy()
        assert y_ort.shape == (shape[0], 2, shape[2], shape[3]), y_ort.shape
        diff = float(np.abs(y_ort - y_pt).max())
        worst = max(worst, diff)
        print(f"check {shape}: max abs diff onnxruntime vs torch {diff:.2e}")
    if worst >= TOLERANCE:
        out.unlink()
        raise SystemExit(f"FAILED: max abs diff {worst:.2e} >= {TOLERANCE}")
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    print("metadata:", json.dumps(props, indent=1))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB), max abs diff {worst:.2e}")


if __name__ == "__main__":
    main()
