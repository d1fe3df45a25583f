"""Soak: the runtime over a long session, as a cart lives it (issue 12, never part of `make test`).

Two modes, each running the runtime as a child process and sampling it from outside (/proc: resident
memory, open file descriptors, threads) every --sample-s seconds:

- realtime: the real `cleftedge run` on a loopback MJPEG stream (multipart/x-mixed-replace over HTTP,
  as an IP camera or a capture box serves it) at 30 fps, from a pre-rendered sweep (normal scanning
  and a cleft passage) looped. Every --unplug-every minutes the server goes away for --unplug-s
  seconds (connections closed, port closed) and comes back on the same port: the runtime must pause
  within the stall timeout (2 s) and resume. Half-way, one SIGTERM and a restart on the same events
  file (as systemd's Restart=always would): both sessions must be in the events, the first closed.
- accelerated: the same pre-rendered sweep looped and played as fast as the model runs, through
  `Pipeline` in a child process with the runtime's own SIGTERM handling, for --sim-hours of frames at
  30 fps; the source is unplugged (SourceLost for a few reads) every --unplug-every simulated minutes
  and one SIGTERM/restart cycle happens half-way.

Prints the RSS series, descriptors and threads, drops, pauses and recoveries, and writes them as JSON:

    .venv/bin/python benchmarks/bench_soak.py realtime --minutes 30 --out soak-realtime.json
    .venv/bin/python benchmarks/bench_soak.py accelerated --sim-hours 2 --out soak-accelerated.json
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

CACHE = Path.home() / ".cache" / "cleftedge" / "bench-soak"
FPS = 30.0
STALL_S = 2.0  # documented in docs/runtime.md; what an unplug must pause within


def reference_model() -> Path:
    path = CACHE / "reference.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "cleftedge", "export", "--reference", "--no-heatmap", "--out",
                        str(path)], check=True)
    return path


def sweep_jpegs(normal_s: float, cleft_s: float) -> list[bytes]:
    """A normal sweep then a cleft passage, JPEG-encoded once (what the stream and the loop replay)."""
    from cleftedge.simulator.sweep import iter_sweep

    cached = CACHE / f"sweep-{normal_s:g}-{cleft_s:g}.npz"  # rendered once: the children start quickly
    if cached.exists():
        with np.load(cached) as z:
            return [z[k].tobytes() for k in sorted(z.files, key=int)]
    frames = [*iter_sweep(normal_s, "none", 101), *iter_sweep(cleft_s, "unilateral", 2)]
    jpegs = [cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes() for f in frames]
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, **{str(i): np.frombuffer(j, np.uint8) for i, j in enumerate(jpegs)})
    os.replace(tmp, cached)
    return jpegs


def proc_sample(pid: int) -> dict | None:
    """Resident memory (MiB), open descriptors and threads of a process, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_mib": round(int(fields["VmRSS"].split()[0]) / 1024, 1), "fds": fds,
            "threads": int(fields["Threads"])}


# --- the loopback MJPEG stream: cleftedge.tools.mjpeg_server, live (the clock picks the frame) ---


# --- the accelerated child: Pipeline on a looped in-memory sweep -----------------------------------
def accelerated_child(args) -> int:
    from cleftedge.runtime.events import JsonlSink, Sinks
    from cleftedge.runtime.model import Model
    from cleftedge.runtime.sources.base import Source, SourceLost
    from cleftedge.runtime.stop_signals import install_stop_handlers
    from cleftedge.runtime.stream import Pipeline

    jpegs = sweep_jpegs(args.normal_s, args.cleft_s)
    unplug_every = int(args.unplug_every * 60 * FPS)  # in frames of simulated time

    class LoopedSweep(Source):
        name = "looped-sweep"

        def __init__(self):
            super().__init__("loop://sweep")
            self.fps = FPS
            self.n = args.start_frame
            self.lost_reads = 0
            self.unplugged_at: set[int] = set()

        def _next(self):
            if self.n >= args.frames:
                return None
            if self.n and self.n % unplug_every == 0 and self.n not in self.unplugged_at:
                self.lost_reads += 1
                if self.lost_reads <= 3:  # the cable is out for three reads (the capture retries with backoff)
                    raise SourceLost("loopback source unplugged")
                self.unplugged_at.add(self.n)
                self.lost_reads = 0
            jpg = jpegs[self.n % len(jpegs)]
            self.n += 1
            return cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR), self.n / FPS, None

    stop, _ = install_stop_handlers()
    model = Model.open(args.model, steady=True)
    model.warmup(3)
    source = LoopedSweep()
    session = Pipeline(model, source, Sinks([JsonlSink(args.events, args.score_every)])).run(stop=stop)
    Path(args.summary).write_text(json.dumps({**session.summary, "last_frame": source.n}, default=str))
    return stop.exit_code() or 0


# --- the parent: start, sample, unplug, SIGTERM, restart --------------------------------------------
def sample_until(proc, samples: list, until: float, every: float, t0: float, extra=None) -> None:
    next_at = time.monotonic()
    while time.monotonic() < until and proc.poll() is None:
        if time.monotonic() >= next_at:
            s = proc_sample(proc.pid)
            if s:
                samples.append({"t_s": round(time.monotonic() - t0, 1), "pid": proc.pid, **s, **(extra() if extra
                                                                                               else {})})
            next_at += every
        time.sleep(0.2)


def stop_with_sigterm(proc) -> dict:
    t = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = "killed after 30 s"
    return {"exit": code, "took_s": round(time.monotonic() - t, 2)}


def run_realtime(args, work: Path) -> dict:
    from cleftedge.tools.mjpeg_server import MjpegServer

    stream = MjpegServer(sweep_jpegs(args.normal_s, args.cleft_s), fps=FPS, live=True)
    events = work / "events.jsonl"
    cmd = [sys.executable, "-m", "cleftedge", "run", "--model", str(args.model), "--source", stream.url,
           "--events", str(events), "--score-every", str(args.score_every), "--quiet"]
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    restart_at = t0 + args.minutes * 30
    unplugs, samples, stops = [], [], []
    procs = [subprocess.Popen([*cmd, "--summary", str(work / "summary-1.json")], stderr=subprocess.PIPE, text=True)]
    next_unplug = t0 + args.unplug_every * 60
    while time.monotonic() < end:
        horizon = min(next_unplug, end, restart_at if not stops else end)
        sample_until(procs[-1], samples, horizon, args.sample_s, t0)
        if procs[-1].poll() is not None:
            raise SystemExit(f"the runtime exited early ({procs[-1].returncode}): {procs[-1].stderr.read()[-2000:]}")
        now = time.monotonic()
        if not stops and now >= restart_at:
            stops.append({"at_s": round(now - t0, 1), **stop_with_sigterm(procs[-1])})
            procs.append(subprocess.Popen([*cmd, "--summary", str(work / "summary-2.json")], stderr=subprocess.PIPE,
                                          text=True))
            # a source that is not there when the runtime starts is an error at open time (exit 1; systemd
            # restarts it): the restart gets its source, unplugs come once it runs
            next_unplug = max(next_unplug, time.monotonic() + 30)
        if now >= next_unplug and now < end:
            t_unplug = time.time()
            stream.unplug()
            time.sleep(args.unplug_s)
            stream.replug()
            unplugs.append({"unplugged": t_unplug, "replugged": time.time()})
            next_unplug += args.unplug_every * 60
    stops.append({"at_s": round(time.monotonic() - t0, 1), **stop_with_sigterm(procs[-1])})
    stream.unplug()
    summaries = [json.loads((work / f"summary-{i}.json").read_text()) for i in (1, 2)]
    return analyse(events, samples, unplugs, stops, summaries, args)


def run_accelerated(args, work: Path) -> dict:
    events = work / "events.jsonl"
    frames = int(args.sim_hours * 3600 * FPS)
    base = [sys.executable, __file__, "_child", "--model", str(args.model), "--events", str(events),
            "--frames", str(frames), "--unplug-every", str(args.unplug_every), "--normal-s", str(args.normal_s),
            "--cleft-s", str(args.cleft_s), "--score-every", str(args.score_every)]
    t0 = time.monotonic()
    cap = t0 + args.max_minutes * 60 if args.max_minutes else float("inf")
    samples, stops, summaries = [], [], []
    first = subprocess.Popen([*base, "--summary", str(work / "summary-1.json"), "--start-frame", "0"])
    progress = _frames_progress(events)
    # SIGTERM once half the simulated time (or half the wall-clock cap) is done, then restart from the
    # frame where it stopped
    while first.poll() is None and progress() < frames // 2 and time.monotonic() < t0 + (cap - t0) / 2:
        sample_until(first, samples, time.monotonic() + 5, args.sample_s, t0, lambda: {"frames": progress()})
    stops.append({"at_s": round(time.monotonic() - t0, 1), **stop_with_sigterm(first)})
    summaries.append(json.loads((work / "summary-1.json").read_text()))
    second = subprocess.Popen([*base, "--summary", str(work / "summary-2.json"), "--start-frame",
                               str(summaries[0]["last_frame"])])
    sample_until(second, samples, cap, args.sample_s, t0, lambda: {"frames": progress()})
    if second.poll() is None:  # the wall-clock cap: stop here and say how far the simulated time got
        stops.append({"at_s": round(time.monotonic() - t0, 1), "capped": True, **stop_with_sigterm(second)})
    else:
        stops.append({"at_s": round(time.monotonic() - t0, 1), "exit": second.wait(), "took_s": 0.0})
    summaries.append(json.loads((work / "summary-2.json").read_text()))
    out = analyse(events, samples, [], stops, summaries, args)
    out["simulated_hours"] = round(sum(s["frames"] for s in summaries) / FPS / 3600, 2)
    out["real_minutes"] = round((time.monotonic() - t0) / 60, 1)
    return out


def _frames_progress(events: Path):
    """The frames the child has scored so far, from the heartbeats at the end of its events file."""
    state = {"pos": 0, "frames": 0, "base": 0, "session": None}

    def progress() -> int:
        if not events.exists():
            return state["base"] + state["frames"]
        with open(events) as f:
            f.seek(state["pos"])
            for line in f:
                if not line.endswith("\n"):
                    break
                state["pos"] += len(line.encode())
                e = json.loads(line)
                if e["type"] == "heartbeat":
                    if e["session"] != state["session"]:
                        state["base"] += state["frames"]
                        state["session"], state["frames"] = e["session"], 0
                    state["frames"] = e["frames"]
        return state["base"] + state["frames"]

    return progress


def analyse(events_path: Path, samples, unplugs, stops, summaries, args) -> dict:
    events = [json.loads(line) for line in events_path.read_text().splitlines() if line.endswith("}")]
    by_session: dict[str, list] = {}
    for e in events:
        by_session.setdefault(e["session"], []).append(e)
    sessions = [{"session": s, "starts": evs[0]["type"] == "session_start", "closed": evs[-1]["type"] == "session_end",
                 "end_reason": evs[-1].get("summary", {}).get("end_reason")} for s, evs in by_session.items()]
    states = [e for e in events if e["type"] == "state"]
    pauses = [e for e in states if e["state"] == "paused" and e["reason"] != "source ended"]
    resumes = [e for e in states if e["state"] == "running" and
               any(p["t"] < e["t"] and p["session"] == e["session"] for p in pauses)]
    unplug_checks = []
    for u in unplugs:
        paused = next((p["t"] for p in pauses if p["t"] >= u["unplugged"] - 0.5), None)
        back = next((r["t"] for r in states if r["state"] == "running" and r["t"] >= u["replugged"]), None)
        unplug_checks.append({"paused_after_s": None if paused is None else round(paused - u["unplugged"], 2),
                              "resumed_after_replug_s": None if back is None else round(back - u["replugged"], 2)})
    gaps = [float(np.diff(b).max()) for b in ([e["t"] for e in evs if e["type"] == "heartbeat"]
                                              for evs in by_session.values()) if len(b) > 1]
    per_process = {}
    for s in samples:
        per_process.setdefault(s["pid"], []).append(s)
    memory = []
    for pid, series in per_process.items():
        settled = [s for s in series if s["t_s"] - series[0]["t_s"] >= 60] or series[-1:]
        memory.append({"pid": pid, "rss_mib_after_1_min": settled[0]["rss_mib"], "rss_mib_last": series[-1]["rss_mib"],
                       "rss_mib_max": max(s["rss_mib"] for s in series),
                       "fds_after_1_min_to_end": [min(s["fds"] for s in settled), max(s["fds"] for s in settled)],
                       "threads_after_1_min_to_end": [min(s["threads"] for s in settled),
                                                      max(s["threads"] for s in settled)]})
    return {"mode": args.mode, "sessions": sessions, "stops": stops, "unplugs": unplug_checks,
            "pauses": len(pauses), "recoveries": len(resumes),
            "frames": sum(s["frames"] for s in summaries), "dropped": sum(s["dropped"] for s in summaries),
            "alerts": sum(len(s["alerts"]) for s in summaries),
            "max_heartbeat_gap_s": round(max(gaps), 2) if gaps else None, "memory": memory,
            "samples": samples}


def print_report(out: dict) -> None:
    print(f"mode {out['mode']}: {out['frames']} frames, {out['dropped']} dropped, {out['alerts']} alerts, "
          f"{out['pauses']} pauses, {out['recoveries']} recoveries, max heartbeat gap {out['max_heartbeat_gap_s']} s")
    for s in out["sessions"]:
        print(f"  session {s['session']}: started {s['starts']}, closed {s['closed']} ({s['end_reason']})")
    for s in out["stops"]:
        print(f"  SIGTERM at {s['at_s']} s: exit {s['exit']} after {s['took_s']} s")
    for i, u in enumerate(out["unplugs"], 1):
        print(f"  unplug {i}: paused after {u['paused_after_s']} s, "
              f"resumed {u['resumed_after_replug_s']} s after replug")
    for m in out["memory"]:
        print(f"  process {m['pid']}: RSS {m['rss_mib_after_1_min']} MiB after 1 min, {m['rss_mib_last']} MiB at the "
              f"end (max {m['rss_mib_max']}); fds {m['fds_after_1_min_to_end']}, "
              f"threads {m['threads_after_1_min_to_end']} from 1 min to the end")
    step = max(1, len(out["samples"]) // 30)
    print("  RSS series (t_s: MiB, fds, threads): " + ", ".join(
        f"{s['t_s']:.0f}: {s['rss_mib']}/{s['fds']}/{s['threads']}" for s in out["samples"][::step]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("realtime", "accelerated", "_child"))
    p.add_argument("--model", type=Path, help="default: the reference model (exported once, cached)")
    p.add_argument("--minutes", type=float, default=30.0, help="realtime: wall-clock minutes")
    p.add_argument("--sim-hours", type=float, default=2.0, help="accelerated: simulated hours at 30 fps")
    p.add_argument("--max-minutes", type=float, help="accelerated: stop (SIGTERM) after this many wall-clock "
                   "minutes even if the simulated hours are not reached (the report says how far it got)")
    p.add_argument("--unplug-every", type=float, default=4.0, help="minutes (simulated when accelerated)")
    p.add_argument("--unplug-s", type=float, default=6.0, help="realtime: seconds the source stays unplugged")
    p.add_argument("--sample-s", type=float, default=10.0)
    p.add_argument("--normal-s", type=float, default=40.0, help="normal scanning per loop of the sweep")
    p.add_argument("--cleft-s", type=float, default=10.0, help="cleft passage per loop of the sweep")
    p.add_argument("--score-every", type=int, default=30)
    p.add_argument("--out", type=Path)
    # the child's own flags
    p.add_argument("--events")
    p.add_argument("--summary")
    p.add_argument("--frames", type=int)
    p.add_argument("--start-frame", type=int, default=0)
    args = p.parse_args()
    args.model = args.model or reference_model()
    if args.mode == "_child":
        return accelerated_child(args)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        out = run_realtime(args, Path(tmp)) if args.mode == "realtime" else run_accelerated(args, Path(tmp))
    out["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    print_report(out)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
