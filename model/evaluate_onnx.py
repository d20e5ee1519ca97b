"""Score an exported ONNX model on FrontLearning scenes of one or more glaciers.

    .venv/bin/python model/evaluate_onnx.py --onnx model/calfin_unet.onnx --glacier jakobshavn

Same metric as training validation: whole scene (reflect-padded to x16), edge > 0.33,
skeletonize, pooled two-way nearest distances to the 1-px label line, in pixels; scenes
are scored upright and turned by 90 / 180 / 270 degrees (prediction turned back).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from skimage.morphology import skeletonize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from dataset import ValSet, list_scenes  # noqa: E402
from train import front_distances  # noqa: E402

from calfin_qgis.core import contract  # noqa: E402
from calfin_qgis.core.evaluation.breakdown import GLACIERS  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--onnx", default=str(HERE / "calfin_unet.onnx"))
    ap.add_argument("--glacier", nargs="+", default=["jakobshavn"], choices=GLACIERS)
    ap.add_argument("--turns", nargs="+", type=int, default=[0, 1, 2, 3])
    args = ap.parse_args(argv)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    val = ValSet(list_scenes(args.glacier))
    m = contract.SIZE_MULTIPLE
    results = {}
    px, secs = 0, 0.0
    for k in args.turns:
        dists, no_front = [], 0
        for _, x, front1 in val.items:
            xt = np.rot90(x, k, axes=(1, 2)) if k else x
            _, h, w = xt.shape
            xp = np.pad(xt, ((0, 0), (0, (-h) % m), (0, (-w) % m)), mode="reflect")[None].astype(
                np.float32
            )
            t = time.perf_counter()
            (probs,) = sess.run(["probs"], {"input": np.ascontiguousarray(xp)})
            secs += time.perf_counter() - t
            px += xp.shape[2] * xp.shape[3]
            edge = probs[0, 0, :h, :w]
            edge = np.rot90(edge, -k) if k else edge
            pred = skeletonize(edge > contract.EDGE_THRESHOLD)
            if not pred.any():
                no_front += 1
                continue
            dists.append(front_distances(pred, front1))
        d = np.concatenate(dists) if dists else np.array([np.nan])
        results[f"turn{90 * k}"] = {
            "mean_px": round(float(d.mean()), 2),
            "median_px": round(float(np.median(d)), 2),
            "no_front": no_front,
            "n": len(val.items),
        }
        print(
            f"{'+'.join(args.glacier)} turned {90 * k:3d}: {json.dumps(results[f'turn{90 * k}'])}",
            flush=True,
        )
    print(f"onnxruntime throughput (2 threads, batch 1, ~208x304): {px / secs / 1e6:.2f} Mpx/s")
    return results


if __name__ == "__main__":
    main()
