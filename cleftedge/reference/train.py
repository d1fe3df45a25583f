"""Train the reference model on simulator frames: python -m cleftedge.reference.train

Train, validation and test sets come from different simulator seeds, so they share no case. The
operating threshold is fixed on the validation set; the held-out test set only judges. Writes the
weights (a state_dict, loadable with weights_only=True) and metrics.json. NOT FOR CLINICAL USE.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cleftedge.atomic import atomic_path, write_text
from cleftedge.reference.data import simulated_tensors
from cleftedge.reference.metrics import choose_threshold, report
from cleftedge.reference.model import CleftNet, parameter_count
from cleftedge.reference.spec import reference_spec

HERE = Path(__file__).parent
SEEDS = {"train": 1000, "val": 2000, "test": 3000}  # test uses a seed never used to fit or tune


def predict(net: nn.Module, x: np.ndarray, batch: int = 256) -> np.ndarray:
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = net(torch.from_numpy(x[i:i + batch]))
            out.append(torch.softmax(logits, 1)[:, 1].numpy())
    return np.concatenate(out)


def fit(net: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, seed: int, log) -> None:
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * int(np.ceil(len(x) / 64))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE), help="folder for reference.pt and metrics.json")
    ap.add_argument("--train", type=int, default=6000)
    ap.add_argument("--val", type=int, default=1500)
    ap.add_argument("--test", type=int, default=2400)
    ap.add_argument("--epochs", type=int, default=9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weights", help="evaluate these weights instead of training (same sets, same threshold rule)")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    spec = reference_spec()
    t0 = time.time()
    train = simulated_tensors(spec, 1 if args.weights else args.train, SEEDS["train"] + args.seed, "train")
    val = simulated_tensors(spec, args.val, SEEDS["val"] + args.seed, "validation")
    test = simulated_tensors(spec, args.test, SEEDS["test"] + args.seed, "test")
    log(f"data ready in {time.time() - t0:.0f} s: {len(train.y)} train, {len(val.y)} val, {len(test.y)} test")
    net = CleftNet()
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
    else:
        fit(net, train.x, train.y, args.epochs, args.seed, log)
    threshold = choose_threshold(val.y, predict(net, val.x))
    metrics = {
        "model": "cleftedge-reference", "parameters": parameter_count(net), "input": [1, 128, 160],
        "trained_on": "synthetic simulator frames (NOT FOR CLINICAL USE)",
        "seeds": {k: v + args.seed for k, v in SEEDS.items()}, "epochs": args.epochs,
        "threshold": threshold,
        "validation": report(val.y, predict(net, val.x), val.severity, val.labels, threshold),
        "test": report(test.y, predict(net, test.x), test.severity, test.labels, threshold),
        "seconds": round(time.time() - t0, 1),
        "weights": "evaluated from --weights" if args.weights else "trained by this run",
    }
    out = Path(args.out)
    with atomic_path(out / "reference.pt") as tmp:
        torch.save(net.state_dict(), tmp)
    write_text(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    t = metrics["test"]["all"]
    log(f"test: sensitivity {t['sensitivity']:.3f} specificity {t['specificity']:.3f} AUC {t['auc']:.4f} "
        f"at threshold {threshold:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
