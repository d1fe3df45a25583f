"""The training script, run as a user runs it on a tiny budget: same seed, same weights and metrics."""

import json
import subprocess
import sys

import torch

from cleftedge.reference.model import CleftNet


def train(out, seed):
    args = ["--out", out, "--train", "48", "--val", "40", "--test", "40", "--epochs", "1", "--seed", str(seed),
            "--threads", "1"]
    r = subprocess.run([sys.executable, "-m", "cleftedge.reference.train", *map(str, args)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.pop("seconds")
    return torch.load(out / "reference.pt", weights_only=True), metrics


def test_training_is_reproducible_by_seed_and_writes_loadable_weights(tmp_path):
    a, metrics_a = train(tmp_path / "a", 0)
    b, metrics_b = train(tmp_path / "b", 0)
    c, _ = train(tmp_path / "c", 1)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert metrics_a == metrics_b
    assert not all(torch.equal(a[k], c[k]) for k in a)  # the seed matters
    CleftNet().load_state_dict(a)
    assert metrics_a["test"]["all"]["frames"] == 40 and metrics_a["weights"] == "trained by this run"
    # train, validation and test come from different simulator seeds: no case is shared
    assert len(set(metrics_a["seeds"].values())) == 3
