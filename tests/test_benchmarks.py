"""`make bench` runs benchmarks/run_all.py: every benchmark script must have its row there."""

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def load_run_all():
    spec = importlib.util.spec_from_file_location("run_all", BENCH_DIR / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_script_has_a_row():
    run_all = load_run_all()
    listed = {b.script for b in run_all.BENCHES} | set(run_all.ON_REQUEST)
    scripts = {p.name for p in BENCH_DIR.glob("*.py")} - {"run_all.py"}
    assert scripts - listed == set(), "add these to BENCHES or ON_REQUEST in benchmarks/run_all.py"
    assert listed - scripts <= set(run_all.ON_REQUEST), "rows for scripts that do not exist"


def test_unknown_benchmark_is_one_line_exit_2():
    done = subprocess.run([sys.executable, str(BENCH_DIR / "run_all.py"), "--only", "bench_nope"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown benchmark bench_nope.py" in done.stderr
    assert "Traceback" not in done.stderr
