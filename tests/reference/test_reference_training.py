"""The training script, run as a user runs it on a tiny budget: same seed, same weights and metrics."""

import json
import subprocess
import sys

import torch

from cleftedge.reference.model import CleftNet


def start_training(out, seed) -> subprocess.Popen:
    """The training script started in the background; its stderr goes to <out>.log (a pipe could fill up
    and stall it while another run is awaited)."""
    args = ["--out", out, "--train", "48", "--val", "40", "--test", "40", "--epochs", "1", "--seed", str(seed),
            "--threads", "1"]
    with open(out.with_suffix(".log"), "w") as log:
        return subprocess.Popen([sys.executable, "-m", "cleftedge.reference.train", *map(str, args)],
                                stdout=subprocess.DEVNULL, stderr=log)


def trained(out, run: subprocess.Popen):
    """Waits for the run; its weights and metrics (without the seconds it took)."""
    assert run.wait() == 0, out.with_suffix(".log").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.pop("seconds")
    return torch.load(out / "reference.pt", weights_only=True), metrics


def test_training_is_reproducible_by_seed_and_writes_loadable_weights(tmp_path):
    # three one-thread runs side by side (each in its own folder): the suite's wall time, not the result
    runs = {name: start_training(tmp_path / name, seed) for name, seed in (("a", 0), ("b", 0), ("c", 1))}
    (a, metrics_a), (b, metrics_b), (c, _) = (trained(tmp_path / name, run) for name, run in runs.items())
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert metrics_a == metrics_b
    assert not all(torch.equal(a[k], c[k]) for k in a)  # the seed matters
    CleftNet().load_state_dict(a)
    assert metrics_a["test"]["all"]["frames"] == 40 and metrics_a["weights"] == "trained by this run"
    # train, validation and test come from different simulator seeds: no case is shared
    assert len(set(metrics_a["seeds"].values())) == 3
