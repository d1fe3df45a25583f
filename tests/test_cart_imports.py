"""Every room that runs on the cart imports with torch, onnx, nncf, pyarrow and Ray made unimportable (a cart
does not install them): the runtime, the simulator (the `sim:` source), the core and the CLI, the data-set
readers and the cart flow of calibration/qa. A real QA judgement then runs in that same process.

The blocker is a meta-path finder that refuses those packages, so a hidden import (at module level
or inside a function that runs) fails here even though the build host has them installed."""

import json
import subprocess
import sys

from cart_blocker import BLOCKER

IMPORTS = BLOCKER + """
import importlib, json, pkgutil
import cleftedge
from pathlib import Path
ROOMS = ("cleftedge.runtime", "cleftedge.simulator", "cleftedge.calibration.qa")
SINGLE = ("cleftedge.cli", "cleftedge.spec", "cleftedge.errors", "cleftedge.atomic", "cleftedge.documents",
          "cleftedge.hashing", "cleftedge.lazy", "cleftedge.progress", "cleftedge.toml",
          "cleftedge.device_profiles", "cleftedge.calibration.datasets", "cleftedge.calibration.dataset_readers",
          "cleftedge.calibration.data_store",
          "cleftedge.calibration.dataset_records", "cleftedge.calibration.label_map",
          "cleftedge.calibration.leakage", "cleftedge.commands.run", "cleftedge.commands.qa",
          "cleftedge.commands.bundle", "cleftedge.commands.scores", "cleftedge.commands.profiles")
root = Path(cleftedge.__file__).parent.parent
names = list(SINGLE)
for room in ROOMS:
    folder = root.joinpath(*room.split("."))
    for p in sorted(folder.rglob("*.py")):
        parts = list(p.relative_to(root).with_suffix("").parts)
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed[name] = str(exc)
blocked = []
for name in BLOCKED[:3]:
    try:
        importlib.import_module(name)
    except ImportError:
        blocked.append(name)
print(json.dumps({"imported": len(names) - len(failed), "failed": failed, "blocked": blocked}))
"""

JUDGE = BLOCKER + """
import json
import numpy as np
from cleftedge.calibration.qa.verdict import judge_arrays
from cleftedge.calibration.qa.policy import Policy
rng = np.random.default_rng(0)
cases = np.arange(1600) // 2  # 800 cases of two frames, every other case a cleft
positive = cases % 2 == 0
ref = np.clip(np.where(positive, 0.8, 0.2) + rng.normal(0, 0.1, 1600), 0, 1)
same = judge_arrays(positive, ref, ref.copy(), 0.5, 0.5, cases, Policy(resamples=200))
broken = judge_arrays(positive, ref, 1.0 - ref, 0.5, 0.5, cases, Policy(resamples=200))
print(json.dumps({"same": same.result, "broken": broken.result}))
"""


def run_blocked(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_cart_room_imports_without_torch_onnx_or_nncf():
    found = run_blocked(IMPORTS)
    assert found["blocked"] == ["torch", "onnx", "nncf"]  # the blocker works: a hidden import would fail
    assert found["failed"] == {}
    assert found["imported"] > 120  # every module of the cart rooms, not an empty walk


def test_the_blocker_catches_a_module_that_needs_torch():
    """The check itself: the reference model's module needs torch, so it fails to import under the blocker."""
    code = BLOCKER + "import cleftedge.reference.model\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "torch is not installed on a cart" in out.stderr


def test_a_qa_judgement_runs_on_the_cart():
    verdicts = run_blocked(JUDGE)
    assert verdicts == {"same": "pass", "broken": "fail"}
