"""Train the reference model on simulator frames: python -m cleftedge.reference.train [--difficulty clinical]

Train, validation and test sets come from different simulator seeds, so they share no case. The
operating threshold is fixed on the validation set; the held-out test set only judges. Writes the
weights (a state_dict, loadable with weights_only=True) and the metrics: reference.pt and metrics.json
for standard difficulty, reference_clinical.pt and metrics_clinical.json for clinical difficulty
(its own seeds and set sizes: at least 2,200 positive test frames). NOT FOR CLINICAL USE.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cleftedge.atomic import atomic_path, write_text
from cleftedge.reference.data import simulated_tensors
from cleftedge.reference.metrics import choose_threshold, report
from cleftedge.reference.model import CleftNet, parameter_count
from cleftedge.reference.spec import SHIPPED, reference_spec

HERE = Path(__file__).parent
SEEDS = {"train": 1000, "val": 2000, "test": 3000}  # test uses a seed never used to fit or tune


@dataclass(frozen=True)
class Recipe:
    """How one shipped reference model is trained and where it is stored."""

    weights: str
    metrics: str
    seeds: dict
    train: int
    val: int
    test: int
    epochs: int
    init: str | None  # weights to start from (a shipped model's file in this folder), or None
    lr: float  # the one-cycle schedule's peak


RECIPES = {
    "standard": Recipe(*SHIPPED["standard"][:2], SEEDS, 6000, 1500, 2400, 9, None, 3e-3),
    # clinical: fine-tuned from the standard model (it knows what a cleft looks like; it has to learn
    # the look-alikes and the poor windows): 6 epochs on 8,000 frames (3 on 4,000 left the loss at 0.31);
    # a validation set big enough to place the threshold, a test set with at least 2,200 positive frames
    "clinical": Recipe(*SHIPPED["clinical"][:2],
                       {"train": 11000, "val": 12000, "test": 13000}, 8000, 2000, 5400, 6, "reference.pt", 1e-3),
}


def predict(net: nn.Module, x: np.ndarray, batch: int = 256) -> np.ndarray:
    """The cleft probability of each frame of `x` (N, 1, H, W), in batches, without gradients."""
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = net(torch.from_numpy(x[i:i + batch]))
            out.append(torch.softmax(logits, 1)[:, 1].numpy())
    return np.concatenate(out)


def fit(net: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, seed: int, log, lr: float = 3e-3) -> None:
    """Train `net` on (`x`, `y`) for `epochs`: AdamW with a one-cycle schedule peaking at `lr`, mirrored frames at
    random, seeded by `seed`; `log` gets a line per epoch."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * int(np.ceil(len(x) / 64))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x), generator=g)
        total, t0 = 0.0, time.time()
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            xb = xt[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5  # left and right clefts are mirror images
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = loss_fn(net(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        log(f"epoch {epoch + 1}/{epochs} loss {total / len(x):.4f} ({time.time() - t0:.0f} s)")


def _sets(spec, sizes: dict, seeds: dict, difficulty: str, jobs: int):
    """Train, validation and test tensors, simulated in `jobs` processes (each set by its own seed)."""
    names = ("train", "val", "test")
    if jobs <= 1:
        return [simulated_tensors(spec, sizes[k], seeds[k], k, difficulty) for k in names]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(min(jobs, 3)) as pool:
        futures = [pool.submit(simulated_tensors, spec, sizes[k], seeds[k], k, difficulty) for k in names]
        return [f.result() for f in futures]


def main(argv: list[str] | None = None) -> int:
    """Train (or, with --weights, evaluate) the reference model at a simulator difficulty; write its weights and
    metrics JSON. Returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE), help="folder for the weights and the metrics")
    ap.add_argument("--difficulty", choices=tuple(RECIPES), default="standard",
                    help="simulator difficulty: standard (reference.pt) or clinical (reference_clinical.pt)")
    ap.add_argument("--train", type=int, help="training frames (standard 6000, clinical 8000)")
    ap.add_argument("--val", type=int, help="validation frames (standard 1500, clinical 2000)")
    ap.add_argument("--test", type=int, help="test frames (standard 2400, clinical 5400)")
    ap.add_argument("--epochs", type=int, help="epochs (standard 9, clinical 6)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=1, help="processes that simulate the three sets side by side "
                    "(the sets are the same for any --jobs)")
    ap.add_argument("--weights", help="evaluate these weights instead of training (same sets, same threshold rule)")
    args = ap.parse_args(argv)
    recipe = RECIPES[args.difficulty]
    for key in ("train", "val", "test", "epochs"):
        if getattr(args, key) is None:
            setattr(args, key, getattr(recipe, key))
    seeds = recipe.seeds

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    spec = reference_spec(model_name=SHIPPED[args.difficulty][2])
    t0 = time.time()
    d = args.difficulty
    sizes = {"train": 1 if args.weights else args.train, "val": args.val, "test": args.test}
    train, val, test = _sets(spec, sizes, {k: v + args.seed for k, v in seeds.items()}, d, args.jobs)
    log(f"data ready in {time.time() - t0:.0f} s: {len(train.y)} train, {len(val.y)} val, {len(test.y)} test")
    net = CleftNet()
    if recipe.init and not args.weights:
        net.load_state_dict(torch.load(HERE / recipe.init, map_location="cpu", weights_only=True))
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
    else:
        t_fit = time.time()
        fit(net, train.x, train.y, args.epochs, args.seed, log, recipe.lr)
        fit_seconds = time.time() - t_fit
    threshold = choose_threshold(val.y, predict(net, val.x))
    metrics = {
        "model": SHIPPED[args.difficulty][2], "parameters": parameter_count(net), "input": [1, 128, 160],
        "trained_on": "synthetic simulator frames (NOT FOR CLINICAL USE)",
        "seeds": {k: v + args.seed for k, v in seeds.items()}, "epochs": args.epochs,
        "threshold": threshold,
        "validation": report(val.y, predict(net, val.x), val.severity, val.labels, threshold),
        "test": report(test.y, predict(net, test.x), test.severity, test.labels, threshold),
        "seconds": round(time.time() - t0, 1),
        "weights": "evaluated from --weights" if args.weights else "trained by this run",
    }
    if d != "standard":  # the standard metrics file keeps its keys as they were
        metrics.update({"difficulty": d, "initialised_from": recipe.init, "peak_lr": recipe.lr,
                        "train_frames": len(train.y), "threads": args.threads, "jobs": args.jobs})
        if not args.weights:
            metrics["training_seconds"] = round(fit_seconds, 1)
    out = Path(args.out)
    with atomic_path(out / recipe.weights) as tmp:
        torch.save(net.state_dict(), tmp)
    write_text(out / recipe.metrics, json.dumps(metrics, indent=2) + "\n")
    t = metrics["test"]["all"]
    log(f"test: sensitivity {t['sensitivity']:.3f} specificity {t['specificity']:.3f} AUC {t['auc']:.4f} "
        f"at threshold {threshold:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
