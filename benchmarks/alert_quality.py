"""Alert quality of the default policy on simulator sweeps (issue 3, section 10).

Scores each sweep once with the model (as the runtime does: steady sector crop, one frame at a
time) and caches the per-frame scores and ground truth, then runs the runtime's own AlertPolicy
on them. Reports false alerts per minute of normal scanning and, on cleft sweeps, the time from
the first in-plane cleft frame to the alert.

Seeds: the defaults in cleftedge/runtime/alerts.py were tuned on seeds below 1000 (--tune, which
also prints the grid); the figures are measured on seeds from 1000 up, never used for tuning.

    .venv/bin/python benchmarks/alert_quality.py                 # 10 min normal + 8 cleft sweeps
    .venv/bin/python benchmarks/alert_quality.py --normal-minutes 2 --cleft-sweeps 3   # quick
    .venv/bin/python benchmarks/alert_quality.py --tune          # the grid on the tuning seeds
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from cleftedge.runtime.alerts import AlertConfig, AlertPolicy

CACHE = Path.home() / ".cache" / "cleftedge" / "alert-scores"
EVAL_SEED0, TUNE_SEED0 = 1000, 0
CLEFT_KINDS = ("unilateral", "bilateral")
FPS = 30.0


def default_model() -> Path:
    path = CACHE / "reference.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "cleftedge", "export", "--reference", "--no-heatmap", "--out",
                        str(path)], check=True)
    return path


class Scorer:
    def __init__(self, model_path: Path):
        self.model_path = model_path
        self.key = hashlib.sha256(model_path.read_bytes()).hexdigest()[:12]
        self._model = None

    def sweep(self, kind: str, seed: int, seconds: float) -> dict[str, np.ndarray]:
        """Scores, in_plane, cleft per frame: from the cache, else scored now and cached."""
        path = CACHE / self.key / f"{kind}-{seed}-{seconds:g}s.npz"
        if path.exists():
            with np.load(path) as z:
                return dict(z)
        from cleftedge.runtime.model import Model
        from cleftedge.simulator.sweep import iter_sweep

        if self._model is None:
            self._model = Model.open(self.model_path, steady=True)
        rows = [(float(self._model.predict(f.image).scores[0]), f.in_plane, f.cleft)
                for f in iter_sweep(seconds, kind, seed, FPS)]
        data = {"scores": np.array([r[0] for r in rows], np.float32),
                "in_plane": np.array([r[1] for r in rows], bool), "cleft": np.array([r[2] for r in rows], bool)}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **data)
        tmp.replace(path)
        return data


def alert_spans(scores: np.ndarray, config: AlertConfig, threshold: float) -> list[tuple[int, int]]:
    policy = AlertPolicy(config, threshold)
    for i, s in enumerate(scores):
        policy.update(i, i / FPS, float(s))
    last = len(scores) - 1
    return [(a.start_frame, last if a.end_frame is None else a.end_frame) for a in policy.alerts]


def evaluate(config: AlertConfig, threshold: float, normal: list[dict], cleft: list[dict]) -> dict:
    false_alerts = sum(len(alert_spans(d["scores"], config, threshold)) for d in normal)
    minutes = sum(len(d["scores"]) for d in normal) / FPS / 60
    delays, missed, false_in_cleft = [], 0, 0
    for d in cleft:
        spans = alert_spans(d["scores"], config, threshold)
        truth = d["cleft"] & d["in_plane"]
        first = int(np.argmax(truth)) if truth.any() else None
        # an alert is false when no in-plane cleft frame lies in it or in the second before it
        false_in_cleft += sum(1 for s, e in spans if not truth[max(0, s - int(FPS)):e + 1].any())
        hits = [s for s, e in spans if first is not None and e >= first and truth[max(0, s - int(FPS)):e + 1].any()]
        if hits:
            delays.append((max(min(hits), first) - first) / FPS)
        else:
            missed += 1
    return {"false_alerts_normal": false_alerts, "normal_minutes": minutes,
            "false_per_minute": false_alerts / minutes if minutes else 0.0,
            "false_alerts_in_cleft_sweeps": false_in_cleft, "cleft_sweeps": len(cleft), "missed": missed,
            "delays_s": delays}


def load_sets(scorer: Scorer, seed0: int, normal_minutes: float, normal_seconds: float, n_cleft: int,
              cleft_seconds: float, quiet: bool = False) -> tuple[list[dict], list[dict]]:
    n_normal = max(1, round(normal_minutes * 60 / normal_seconds))
    jobs = [("none", seed0 + i, normal_seconds) for i in range(n_normal)]
    jobs += [(CLEFT_KINDS[i % 2], seed0 + 500 + i, cleft_seconds) for i in range(n_cleft)]
    out = []
    t0 = time.monotonic()
    for j, (kind, seed, seconds) in enumerate(jobs, 1):
        out.append(scorer.sweep(kind, seed, seconds))
        if not quiet:
            print(f"\r  sweeps {j}/{len(jobs)} ({time.monotonic() - t0:.0f} s)", end="", file=sys.stderr, flush=True)
    if not quiet:
        print(file=sys.stderr)
    return out[:n_normal], out[n_normal:]


def tune(normal, cleft, threshold: float) -> None:
    """Print the grid on the tuning seeds: the policies with no false alert, fastest first."""
    rows = []
    for k, n, clear_k, cooldown in itertools.product((3, 4, 5, 6, 8), (6, 8, 10, 12), (0, 1, 2), (15, 30, 60)):
        if not (k <= n and clear_k < k):
            continue
        cfg = AlertConfig(k=k, n=n, clear_k=clear_k, cooldown_frames=cooldown)
        r = evaluate(cfg, threshold, normal, cleft)
        false = r["false_alerts_normal"] + r["false_alerts_in_cleft_sweeps"]
        mean_delay = float(np.mean(r["delays_s"])) if r["delays_s"] else float("inf")
        rows.append((false, r["missed"], mean_delay, cfg))
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    top = max(float(d["scores"].max()) for d in normal)
    most = max(int(np.convolve(d["scores"] >= threshold, np.ones(8), "valid").max()) for d in normal)
    print(f"margin on normal scanning: highest score {top:.3f} (threshold {threshold:.3f}), "
          f"at most {most} flagged frames in any 8")
    print("false  missed  mean delay  policy")
    for false, missed, delay, cfg in rows[:15]:
        print(f"{false:>5}  {missed:>6}  {delay:>8.2f} s  k={cfg.k} n={cfg.n} clear_k={cfg.clear_k} "
              f"cooldown={cfg.cooldown_frames}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="ONNX model (default: the reference model, exported once)")
    ap.add_argument("--normal-minutes", type=float, default=10.0)
    ap.add_argument("--normal-seconds", type=float, default=60.0, help="length of each normal sweep")
    ap.add_argument("--cleft-sweeps", type=int, default=8)
    ap.add_argument("--cleft-seconds", type=float, default=20.0)
    ap.add_argument("--tune", action="store_true", help="grid search on the tuning seeds (< 1000)")
    ap.add_argument("--threshold", type=float, help="override the spec's threshold")
    args = ap.parse_args(argv)
    model = args.model or default_model()
    scorer = Scorer(model)
    from cleftedge.runtime.model_spec import resolve_spec

    threshold = args.threshold if args.threshold is not None else resolve_spec(model).output.threshold
    seed0 = TUNE_SEED0 if args.tune else EVAL_SEED0
    normal, cleft = load_sets(scorer, seed0, args.normal_minutes, args.normal_seconds, args.cleft_sweeps,
                              args.cleft_seconds)
    if args.tune:
        tune(normal, cleft, threshold)
        return 0
    cfg = replace(AlertConfig())
    r = evaluate(cfg, threshold, normal, cleft)
    d = np.array(r["delays_s"]) if r["delays_s"] else np.array([np.nan])
    print(f"alert quality, default policy {AlertPolicy(cfg, threshold).describe()}")
    print(f"model {model.name} (threshold {threshold:.3f}), evaluation seeds from {EVAL_SEED0} (not used for tuning)")
    print(f"normal scanning: {r['false_alerts_normal']} false alerts in {r['normal_minutes']:.1f} min "
          f"= {r['false_per_minute']:.3f} per minute")
    print(f"cleft sweeps: {r['cleft_sweeps'] - r['missed']}/{r['cleft_sweeps']} raised an alert; "
          f"{r['false_alerts_in_cleft_sweeps']} alerts away from the cleft")
    print(f"time from first in-plane cleft frame to alert: median {np.nanmedian(d):.2f} s, "
          f"max {np.nanmax(d):.2f} s")
    print("command: .venv/bin/python benchmarks/alert_quality.py " + " ".join(argv or sys.argv[1:]))
    return 0 if r["false_alerts_normal"] == 0 and r["missed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
