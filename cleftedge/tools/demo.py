"""`cleftedge demo`: the whole toolchain on this machine, through the same commands a user types.

Simulate disjoint calibration, validation and QA sets and two sweeps; export the reference model;
calibrate for the profile; build the bundle; QA it and attach the report; sign it; verify it against
a trust store; run the live runtime on both sweeps in real time; summarise every artifact and verdict."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cleftedge.cli import main as cli
from cleftedge.errors import CleftEdgeError

MARKER = ".cleftedge-demo"
# The QA set is large enough to show non-inferiority honestly at the default policy with a stray
# flip or two (cleftedge qa-plan --expected-flip-rate 0.001: 280 clusters): 3,400 frames of seed 103
# hold 288 positive and 443 negative clusters. On 2,600 frames (215 positive clusters) this demo's
# INT8 engine, which misses 2 frames of one case, is honestly not shown non-inferior (-2.09 pp).
SETS = (("calib", 400, 101), ("val", 400, 102), ("qa", 3400, 103))
SWEEPS = (("normal", "none", 301), ("cleft", "unilateral", 302))
SWEEP_SECONDS = 20


@dataclass(frozen=True)
class DemoPlan:
    """What one demo difficulty simulates and which shipped reference model it exports."""

    sets: tuple
    sweeps: tuple
    reference: str


# Clinical: the clinical reference model on clinical sets. The QA set must hold the gate's minimum of
# 189 positive and 189 negative clusters for a zero-flip pass (docs/qa.md) AFTER near-duplicate search
# has merged look-alike cases: 2,800 frames of seed 113 held 222 cases with a cleft frame but only 177
# positive clusters, so the demo draws 3,600. The validation set is big enough for --auto-keep-float
# to judge with the gate's rules. Outside `make demo`'s 3-minute target.
DIFFICULTY_PATHS = {
    "standard": DemoPlan(SETS, SWEEPS, "standard"),
    "clinical": DemoPlan((("calib", 400, 111), ("val", 2800, 112), ("qa", 3600, 113)),
                      (("normal", "none", 311), ("cleft", "unilateral", 312)), "clinical"),
}


class Demo:
    def __init__(self, out: Path, profile: str, sweep_seconds: float = SWEEP_SECONDS, difficulty: str = "standard"):
        self.out = out
        self.difficulty = difficulty
        self.plan = DIFFICULTY_PATHS[difficulty]
        self.profile = profile
        self.sweep_seconds = sweep_seconds
        self.steps: list[tuple[str, float]] = []
        self.t0 = time.monotonic()
        self.qa_first: str | None = None  # clinical: the first QA verdict, when it did not pass

    def step(self, title: str, *argv: object, may_fail: bool = False) -> int:
        """Run one `cleftedge` command line as a demo step, timed; a failure stops the demo (one line)
        unless `may_fail`, then its exit code is returned."""
        n = len(self.steps) + 1
        print(f"\n[{n:2d}] {title}  ({time.monotonic() - self.t0:5.1f} s)", flush=True)
        print("     $ cleftedge " + " ".join(str(a) for a in argv), flush=True)
        t = time.monotonic()
        rc = cli([str(a) for a in argv])
        if rc != 0 and may_fail:
            self.steps.append((title, time.monotonic() - t))
            return rc
        if rc != 0:
            raise CleftEdgeError(f"demo step {n} ({title}) failed with exit code {rc}", "every step to pass",
                                 f"see the line above; the artifacts so far are in {self.out}")
        self.steps.append((title, time.monotonic() - t))
        return 0

    def path(self, *parts: str) -> Path:
        """A path inside the demo's output folder."""
        return self.out.joinpath(*parts)


def prepare(out: Path) -> None:
    """A fresh output folder: a new one, or an earlier demo's (marked) emptied; anything else refused."""
    if out.exists():
        if not (out / MARKER).is_file() and any(out.iterdir()):
            raise CleftEdgeError(f"{out} exists and was not made by the demo", "a new folder or an earlier demo's",
                                 "pass another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by cleftedge demo; removed by the next demo run\n")


def run_demo(out: Path, profile_name: str, sweep_seconds: float = SWEEP_SECONDS, difficulty: str = "standard") -> dict:
    """Every step of the toolchain through the CLI into `out` for the device profile `profile_name`;
    returns the summary (`ok`, the steps and their times, the QA verdict, what ran)."""
    from cleftedge.calibration.recipes import output_suffix
    from cleftedge.device_profiles import load_profile

    profile = load_profile(profile_name)
    prepare(out)
    # the demo plays a fresh cart: its record of the releases it ran is its own, not this user's
    os.environ["CLEFTEDGE_STATE"] = str(out / "cart-state")
    d = Demo(out, profile_name, sweep_seconds, difficulty)
    hard = () if difficulty == "standard" else ("--difficulty", difficulty)
    for name, count, seed in d.plan.sets:
        d.step(f"simulate the {name} set ({count} frames, its own cases)", "simulate", "frames", "--out",
               d.path("data", name), "--count", count, "--seed", seed, *hard)
    for name, kind, seed in d.plan.sweeps:
        d.step(f"simulate a {name} sweep ({sweep_seconds:g} s)", "simulate", "sweep", "--out",
               d.path("sweeps", f"{name}.mp4"), "--seconds", sweep_seconds, "--cleft", kind, "--seed", seed, *hard)
    reference = ("--reference",) if d.plan.reference == "standard" else ("--reference", d.plan.reference)
    d.step(f"export the {d.plan.reference} reference model to ONNX", "export", *reference, "--out",
           d.path("model.onnx"))
    calibrated = d.path("model.int8" + output_suffix(profile.recipe))
    calibrate = ("calibrate", "--model", d.path("model.onnx"), "--data", d.path("data", "calib"), "--val-data",
                 d.path("data", "val"), "--profile", profile.name, "--out", calibrated)
    d.step(f"calibrate to INT8 for {profile.name} ({profile.recipe} recipe)", *calibrate)
    d.step(f"build the bundle for {profile.name}", "build", "--model", calibrated, "--profile", profile.name,
           "--out", d.path("bundle"))
    qa = ("qa", "--reference", d.path("model.onnx"), "--candidate", d.path("bundle"), "--data", d.path("data", "qa"),
          "--val-data", d.path("data", "val"), "--sweeps", d.path("sweeps"), "--report", d.path("qa-report"))
    rc = d.step("QA the bundle against the FP32 reference", *qa, may_fail=difficulty != "standard")
    if rc:  # clinical: the gate said no; keep the layers INT8 hurts most in float, as a user would, and QA again
        d.qa_first = json.loads(d.path("qa-report", "report.json").read_text())["verdict"]["line"]
        shutil.rmtree(d.path("bundle"))
        shutil.rmtree(d.path("qa-report"))
        d.step("the gate did not pass: keep the worst layers in float (judged on the validation set)",
               *calibrate, "--auto-keep-float")
        d.step(f"rebuild the bundle for {profile.name}", "build", "--model", calibrated, "--profile",
               profile.name, "--out", d.path("bundle"))
        if d.step("QA the rebuilt bundle against the FP32 reference", *qa, may_fail=True):
            return summarise(d, ran=False)
    d.step("attach the QA report to the bundle", "bundle", "attach-qa", d.path("bundle"), d.path("qa-report"))
    d.step("make a demo signing key", "keys", "generate", "--out", d.path("keys"), "--name", "demo-signing")
    trust = d.path("trust-store")
    trust.mkdir()
    shutil.copy(d.path("keys", "demo-signing.pub.pem"), trust)
    d.step("sign the bundle", "bundle", "sign", d.path("bundle"), "--key", d.path("keys", "demo-signing.key.pem"))
    d.step("pack it for shipping", "bundle", "pack", d.path("bundle"), "--out", d.path("bundle.tar.gz"))
    d.step("verify it as a cart would", "bundle", "verify", d.path("bundle.tar.gz"), "--trust-store", trust)
    d.path("sessions").mkdir()  # run checks its output folders before it scans: they must exist
    for name, _, _ in d.plan.sweeps:
        d.step(f"run the live runtime on the {name} sweep in real time", "run", "--model", d.path("bundle.tar.gz"),
               "--trust-store", trust, "--source", d.path("sweeps", f"{name}.mp4"), "--realtime", "--events",
               d.path("sessions", f"{name}.events.jsonl"), "--summary", d.path("sessions", f"{name}.summary.json"),
               "--report", d.path("sessions", f"{name}.html"), "--annotate",
               d.path("sessions", f"{name}.annotated.mp4"), "--score-every", 10)
    return summarise(d)


def summarise(d: Demo, ran: bool = True) -> dict:
    """The demo's summary from its QA report and its steps (`ran`: whether the bundle was signed and run)."""
    qa = json.loads(d.path("qa-report", "report.json").read_text())
    if not ran:  # clinical, the gate said no even with layers kept in float: nothing is signed or run
        total = time.monotonic() - d.t0
        print(f"\n=== cleftedge demo --difficulty {d.difficulty}: stopped after QA in {total:.0f} s ({d.out}) ===")
        if d.qa_first:
            print(f"  QA (all INT8)           {d.qa_first}")
        print(f"  QA (worst layers float) {qa['verdict']['line']}")
        print("  the bundle is not attached, signed or run: the gate did not pass", flush=True)
        return {"ok": False, "seconds": total, "difficulty": d.difficulty,
                "verdicts": {"QA": qa["verdict"]["line"], "QA all INT8": d.qa_first},
                "sessions": {}, "artifacts": {"QA report": str(d.path("qa-report", "report.html"))}}
    sessions = {}
    for name, _, _ in d.plan.sweeps:
        s = json.loads(d.path("sessions", f"{name}.summary.json").read_text())
        e2e = s["stages"]["end_to_end"]
        sessions[name] = {"frames": s["frames"], "dropped": s["dropped"], "alerts": len(s["alerts"]),
                          "p99_ms": e2e.get("p99"), "within_budget": s["within_budget"]}
    verdicts = {
        "QA": qa["verdict"]["line"],
        **({"QA all INT8": d.qa_first} if d.qa_first else {}),
        "bundle verify": "pass",
        "normal sweep": "no alert" if sessions["normal"]["alerts"] == 0 else f"{sessions['normal']['alerts']} alerts",
        "cleft sweep": "alert raised" if sessions["cleft"]["alerts"] else "NO ALERT",
        "latency": "within budget" if all(s["within_budget"] for s in sessions.values()) else "OVER budget",
    }
    calibrated = next(p.name for p in d.out.glob("model.int8.*") if p.suffix in (".xml", ".onnx"))
    artifacts = {"FP32 model": "model.onnx", "calibrated model": calibrated,
                 "bundle": "bundle/", "shipping archive": "bundle.tar.gz", "QA report": "qa-report/report.html",
                 "trust store": "trust-store/", "session reports": "sessions/*.html",
                 "events": "sessions/*.events.jsonl", "annotated videos": "sessions/*.annotated.mp4"}
    total = time.monotonic() - d.t0
    print(f"\n=== cleftedge demo: done in {total:.0f} s ({d.out}) ===")
    for k, v in artifacts.items():
        print(f"  {k:<18} {d.out / v}")
    print("  verdicts:")
    for k, v in verdicts.items():
        print(f"    {k:<16} {v}")
    for name, s in sessions.items():
        print(f"    {name} sweep: {s['frames']} frames, {s['dropped']} dropped, {s['alerts']} alerts, "
              f"end-to-end p99 {s['p99_ms']:.1f} ms")
    ok = (qa["verdict"]["passed"] and sessions["normal"]["alerts"] == 0 and sessions["cleft"]["alerts"] > 0
          and all(s["within_budget"] for s in sessions.values()))
    if d.difficulty != "standard":  # clinical: a false alert on the normal sweep is a finding, not a failure
        ok = qa["verdict"]["passed"] and sessions["cleft"]["alerts"] > 0 and all(
            s["within_budget"] for s in sessions.values())
    print("  ALL VERDICTS PASS" if ok else "  SOME VERDICTS FAILED", flush=True)
    sys.stdout.flush()
    return {"ok": ok, "seconds": total, "difficulty": d.difficulty, "verdicts": verdicts, "sessions": sessions,
            "artifacts": {k: str(d.out / v) for k, v in artifacts.items()}}
