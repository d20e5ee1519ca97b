"""Train the CALFIN-style U-Net on FrontLearning scenes, validating on a held-out glacier.

    .venv/bin/python model/train.py --minutes 7.5 --val-glacier jakobshavn --snapshots 0.5 --out val_s0.pt
    .venv/bin/python model/train.py --minutes 7.5 --val-glacier none --snapshots 0.5 --out all_s0.pt

(``model/train_gpu.sh`` runs the shipped recipe: eight such runs side by side on a GPU.)

Training is time-budgeted (cosine learning rate over ``--minutes``) or, with ``--steps``,
step-budgeted (the same schedule on any hardware: what ``model/folds.py`` recipes use);
``--stop 0.5`` ends a run at half its budget, where nothing after a half-budget snapshot
is needed (the schedule up to it is the same either way). An exponential moving
average (EMA) of the weights is what gets validated and saved. The checkpoint holds the
final EMA state (``state_dict``), EMA states at the ``--snapshots`` fractions of the
budget (``snapshots``) and, with a validation glacier, the validation history. Picking the
best validation check was tried and rejected (validation swings by several px between
checks, so the pick is luck). The shipped networks are the half-budget snapshots
(``export.py 'run.pt#0.5'``), chosen on the held-out glacier. Runs on CUDA when there is
one (``--device``); ``--half`` stores the states as float16 to keep files small.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import distance_transform_edt
from skimage.morphology import skeletonize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from dataset import DATA_DIR, TrainSet, ValSet, list_scenes  # noqa: E402
from unet import UNet, count_parameters  # noqa: E402

from calfin_qgis.core import contract  # noqa: E402
from calfin_qgis.core.evaluation.breakdown import GLACIERS  # noqa: E402
from calfin_qgis.core.finetune.net import loss_fn  # noqa: E402


@torch.no_grad()
def predict_probs(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """Sigmoid probabilities (2, H, W) of a whole (3, H, W) input, reflect-padded to x16."""
    m = contract.SIZE_MULTIPLE
    _, h, w = x.shape
    ph, pw = (-h) % m, (-w) % m
    device = next(model.parameters()).device
    t = torch.from_numpy(np.ascontiguousarray(x))[None].to(device)
    if ph or pw:
        t = F.pad(t, (0, pw, 0, ph), mode="reflect")
    return torch.sigmoid(model(t))[0, :, :h, :w].cpu().numpy()


def front_distances(pred_front: np.ndarray, true_front: np.ndarray) -> np.ndarray:
    """Pooled two-way nearest distances (px) between predicted and true front pixels."""
    d_to_true = distance_transform_edt(~true_front)[pred_front]
    d_to_pred = distance_transform_edt(~pred_front)[true_front]
    return np.concatenate([d_to_true, d_to_pred])


def evaluate(model: torch.nn.Module, val: ValSet, turns: int = 0) -> dict:
    """Mean / median pooled front distance; ``turns`` 90-degree turns of the input (np.rot90)."""
    model.eval()
    dists, no_front, per_image = [], 0, []
    for _, x, front1 in val.items:
        xt = np.rot90(x, turns, axes=(1, 2)) if turns else x
        probs = predict_probs(model, xt)
        edge = np.rot90(probs[0], -turns) if turns else probs[0]
        pred = skeletonize(edge > contract.EDGE_THRESHOLD)
        if not pred.any():
            no_front += 1
            continue
        d = front_distances(pred, front1)
        dists.append(d)
        per_image.append(float(d.mean()))
    d = np.concatenate(dists) if dists else np.array([np.inf])
    return {
        "mean_px": float(d.mean()),
        "median_px": float(np.median(d)),
        "median_image_mean_px": float(np.median(per_image)) if per_image else float("inf"),
        "no_front": no_front,
        "n": len(val.items),
    }


class EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.model = copy.deepcopy(model).eval()
        self.decay = decay
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module, decay: float | None = None):
        d = self.decay if decay is None else decay
        for pe, p in zip(self.model.parameters(), model.parameters(), strict=True):
            pe.mul_(d).add_(p.detach(), alpha=1 - d)
        for be, b in zip(self.model.buffers(), model.buffers(), strict=True):
            be.copy_(b)


def state(model: torch.nn.Module, half: bool) -> dict:
    """A CPU copy of the model's state, float16 where ``half`` (integers stay as they are)."""
    return {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone()
        for k, v in model.state_dict().items()
    }


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=25.0, help="training wall time budget")
    ap.add_argument("--steps", type=int, default=0, help="step budget instead of --minutes")
    ap.add_argument("--stop", type=float, default=1.0, help="end at this budget fraction")
    ap.add_argument("--val-glacier", default="jakobshavn", choices=[*GLACIERS, "none"])
    ap.add_argument("--data", type=Path, default=DATA_DIR, help="FrontLearning train folder")
    ap.add_argument("--out", default=str(HERE / "checkpoints" / "unet.pt"))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=192)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--ema", type=float, default=0.995)
    ap.add_argument("--p-upright", type=float, default=0.5)
    ap.add_argument("--variants", type=int, default=6, help="jittered copies per scene")
    ap.add_argument(
        "--val-every", type=float, default=90.0, help="seconds between validations; 0: none"
    )
    ap.add_argument("--snapshots", type=float, nargs="*", default=[], help="budget fractions")
    ap.add_argument("--save-every", type=float, default=120.0, help="seconds between saves")
    ap.add_argument("--half", action="store_true", help="store states as float16")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    train_glaciers = [g for g in GLACIERS if g != args.val_glacier]
    t0 = time.time()
    train_scenes = list_scenes(train_glaciers, args.data)
    ts = TrainSet(
        train_scenes,
        n_variants=args.variants,
        crop=args.crop,
        p_upright=args.p_upright,
        seed=args.seed,
    )
    val_scenes = list_scenes([args.val_glacier], args.data) if args.val_glacier != "none" else []
    val = ValSet(val_scenes) if val_scenes and args.val_every > 0 else None
    print(
        f"train glaciers {train_glaciers}: {len(train_scenes)} scenes, {len(ts.items)} variants; "
        f"val {args.val_glacier}: {len(val_scenes)} scenes; data {time.time() - t0:.0f}s; "
        f"device {device}",
        flush=True,
    )

    model = UNet().to(device)
    print(f"parameters: {count_parameters(model)}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    ema = EMA(model, args.ema)
    budget = args.minutes * 60.0
    t_start = time.time()
    last_val = last_save = t_start
    step, history, snapshots = 0, [], {}
    pending = sorted(args.snapshots)
    run_loss = None

    def save(final: dict | None = None):
        tmp = out.with_suffix(".tmp")
        torch.save(
            {
                "state_dict": state(ema.model, args.half),
                "snapshots": snapshots,
                "step": step,
                "history": history,
                "final": final,
                "args": {k: str(v) for k, v in vars(args).items()},
                "train_glaciers": train_glaciers,
                "elapsed_s": time.time() - t_start,
            },
            tmp,
        )
        tmp.replace(out)

    with ThreadPoolExecutor(1) as loader:
        next_batch = loader.submit(ts.batch, args.batch)
        while True:
            elapsed = time.time() - t_start
            frac = step / args.steps if args.steps else elapsed / budget
            while pending and frac >= pending[0]:
                snapshots[str(pending.pop(0))] = state(ema.model, args.half)
            if frac >= min(1.0, args.stop):
                break
            warm = min(1.0, (step + 1) / 100)
            lr = args.lr * warm * 0.5 * (1 + math.cos(math.pi * frac))
            for g in opt.param_groups:
                g["lr"] = lr
            model.train()
            xb, yb = next_batch.result()
            next_batch = loader.submit(ts.batch, args.batch)
            logits = model(torch.from_numpy(xb).to(device, non_blocking=True))
            loss = loss_fn(logits, torch.from_numpy(yb).to(device, non_blocking=True))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            ema.update(model, decay=min(args.ema, (1 + step) / (10 + step)))
            step += 1
            if step % 50 == 0:
                value = loss.item()
                run_loss = value if run_loss is None else 0.9 * run_loss + 0.1 * value
            if step % 500 == 0:
                print(
                    f"step {step} t {elapsed / 60:.1f}min lr {lr:.2e} loss {run_loss:.4f}",
                    flush=True,
                )
            if val is not None and time.time() - last_val > args.val_every:
                last_val = time.time()
                up, turned = evaluate(ema.model, val, 0), evaluate(ema.model, val, 1)
                history.append(
                    {"step": step, "min": elapsed / 60, "upright": up, "turned90": turned}
                )
                print(
                    f"VAL step {step} up mean {up['mean_px']:.2f} med {up['median_px']:.2f} "
                    f"nofront {up['no_front']} | rot90 mean {turned['mean_px']:.2f} "
                    f"med {turned['median_px']:.2f} nofront {turned['no_front']}",
                    flush=True,
                )
            if time.time() - last_save > args.save_every:
                last_save = time.time()
                save()

    total = time.time() - t_start
    print(f"done: {step} steps in {total / 60:.1f} min, {step / total:.2f} steps/s", flush=True)
    save()
    final = None
    if val is not None:
        final = {"upright": evaluate(ema.model, val, 0), "turned90": evaluate(ema.model, val, 1)}
        print("FINAL EMA", json.dumps(final), flush=True)
    save(final)


if __name__ == "__main__":
    main()
