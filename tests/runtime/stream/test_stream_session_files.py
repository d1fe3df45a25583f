"""What a session leaves on disk: output paths checked before the scan, the events file rotated by
size without losing a line, a truncated recording that says so, and docs/runtime.md's list of event
fields checked against what a run really writes."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from stream_helpers import FlakyBackend, ListSink, model_with

from cleftedge.runtime import event_types, stream
from cleftedge.runtime.events import JsonlSink, Sinks
from cleftedge.runtime.model import Model
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.sources.base import Source
from cleftedge.runtime.stream import Pipeline
from cleftedge.simulator.sweep import iter_sweep

DOCS = Path(__file__).resolve().parents[3] / "docs" / "runtime.md"
COMMON = {"type", "t", "session", "schema"}


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cleftedge", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def mjpg(path, frames=300, size=(64, 48)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        w.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    w.release()
    return path


@pytest.mark.parametrize("flag", ["--events", "--summary", "--report", "--annotate"])
def test_bad_output_paths_are_refused_before_the_scan(ref_onnx, tmp_path, flag):
    (tmp_path / "a-file").write_text("x")
    name = {"--annotate": "a.mp4"}.get(flag, "out.json")
    bad = {"is a folder": tmp_path, "does not exist": tmp_path / "no" / "such" / name,
           "is not a folder": tmp_path / "a-file" / name}
    if os.geteuid() == 0:
        bad["cannot write"] = Path("/proc") / name  # root ignores permissions; /proc takes no new file
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        bad["cannot write"] = ro / name
    for needle, path in bad.items():
        r = cli("run", "--model", ref_onnx, "--source", "sim:none?seconds=30", flag, path)
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr
        assert flag in r.stderr and "internal error" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"] + (["ro"] if os.geteuid() else [])


def test_events_rotate_by_size_and_no_line_is_lost(tmp_path):
    path = tmp_path / "ev.jsonl"
    sink = JsonlSink(str(path), max_mib=2000 / 2**20, keep=3)  # about 2 kB per file
    for i in range(200):
        sink.emit({"type": "score", "t": float(i), "session": "s", "schema": 2, "frame": i})
    sink.close()
    files = sorted(tmp_path.iterdir())
    assert [p.name for p in files] == ["ev.jsonl", "ev.jsonl.1", "ev.jsonl.2", "ev.jsonl.3"]
    assert all(p.stat().st_size <= 2000 for p in files)
    frames = []
    for p in [path.with_name("ev.jsonl.3"), path.with_name("ev.jsonl.2"), path.with_name("ev.jsonl.1"), path]:
        lines = [json.loads(line) for line in p.read_text().splitlines()]
        if p.name != "ev.jsonl.3":
            assert lines[0]["type"] == "events_continued" and lines[0]["session"] == "s"
        frames += [e["frame"] for e in lines if e["type"] == "score"]
    assert frames == list(range(frames[0], 200))  # the newest files hold every line, in order
    assert frames[0] > 0 and sink.rotations > 3  # older files were deleted, keeping three


def test_a_truncated_recording_says_it_ended_early(ref_onnx, tmp_path):
    video = mjpg(tmp_path / "v.avi")
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    r = cli("run", "--model", ref_onnx, "--source", cut, "--summary", tmp_path / "s.json", "--events",
            tmp_path / "e.jsonl")
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    early = summary["source_ended_early"]
    assert early["expected"] == 300 and 100 < early["frames"] < 200 == 200 and summary["frames"] == early["frames"]
    assert "ended after" in r.stderr and "300" in r.stderr
    events = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert [e for e in events if e["type"] == "source_ended_early"][0]["frames"] == early["frames"]
    whole = cli("run", "--model", ref_onnx, "--source", video, "--summary", tmp_path / "w.json", "--quiet")
    assert whole.returncode == 0 and json.loads((tmp_path / "w.json").read_text())["source_ended_early"] is None


class Sweep(Source):
    """A cleft sweep that comes into plane and leaves it, played as fast as the model runs."""

    def __init__(self):
        super().__init__("sweep")
        self.frames = iter_sweep(6, "unilateral", 5)

    def _next(self):
        time.sleep(0.01)  # a few latency events (every 0.5 s here) during the sweep
        f = next(self.frames, None)
        return None if f is None else (f.image, None, None)


def documented_fields() -> dict[str, set[str]]:
    rows = re.findall(r"^\| `(\w+)` \| (.+) \|$", DOCS.read_text(), re.M)
    return {kind: set(re.findall(r"`(\w+)`", fields)) for kind, fields in rows if "fields" not in kind}


def test_the_docs_list_every_event_field_a_run_writes(ref_onnx, tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "LATENCY_EVERY_S", 0.5)
    FlakyBackend.calls, FlakyBackend.fail_on = 0, {4}
    sink = ListSink()
    Pipeline(model_with(FlakyBackend, ref_onnx), Sweep(), Sinks([sink])).run()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(mjpg(tmp_path / "v.avi", 60).read_bytes()[: 30_000])
    Pipeline(Model.open(ref_onnx, steady=True), open_source(str(cut)), Sinks([sink])).run()
    rotating = JsonlSink(str(tmp_path / "r.jsonl"), max_mib=1e-4)
    for event in sink.events[:5]:
        rotating.emit(event)
    rotating.close()
    written = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()] + sink.events
    fields: dict[str, set[str]] = {}
    for e in written:
        assert COMMON <= set(e), e
        fields.setdefault(e["type"], set()).update(set(e) - COMMON)
    docs = documented_fields()
    assert set(fields) == set(docs), "event types written and documented differ"
    assert {kind: set(names) for kind, names in event_types.EVENT_FIELDS.items()} == fields, \
        "event types written and named in runtime/event_types.py differ"
    for kind, names in fields.items():
        assert names == docs[kind] - {"running", "paused", "frozen", "stopped"} if kind == "state" \
            else names == docs[kind], f"{kind}: written {sorted(names)}, documented {sorted(docs[kind])}"


def test_the_event_type_table_is_the_docs_table():
    docs = documented_fields()
    assert {kind: set(names) for kind, names in event_types.EVENT_FIELDS.items()} == docs
    states = re.search(r"^\| `state` \| `state` \((.+?)\)", DOCS.read_text(), re.M)[1]
    assert states.split(", ") == list(event_types.STATES)
