import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from cleftedge.simulator.sweep import write_sweep


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cleftedge", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    video, _ = write_sweep(tmp_path_factory.mktemp("sw") / "cleft.mp4", 4, "unilateral", 11, progress=False)
    return video


def test_run_writes_events_summary_annotated_video_and_report(ref_onnx_heat, sweep, tmp_path):
    out = tmp_path
    r = cli("run", "--model", ref_onnx_heat, "--source", sweep, "--events", out / "ev.jsonl", "--summary",
            out / "sum.json", "--annotate", out / "ann.mp4", "--report", out / "s.html")
    assert r.returncode == 0, r.stderr
    assert "ALERT 1" in r.stderr and "p99" in r.stderr
    events = [json.loads(line) for line in (out / "ev.jsonl").read_text().splitlines()]
    kinds = {e["type"] for e in events}
    assert {"session_start", "score", "heartbeat", "alert_raised", "state", "session_end"} <= kinds
    assert all("t" in e and "session" in e for e in events)
    summary = json.loads((out / "sum.json").read_text())
    assert summary["frames"] == 120 and summary["dropped"] == 0 and summary["alerts"]
    cap = cv2.VideoCapture(str(out / "ann.mp4"))
    ok, frame = cap.read()
    assert ok and frame.shape == (480, 640, 3)
    assert frame[5:75, 0:150].max() < 40  # the overlay text (patient name) is masked
    assert "data:image/jpeg;base64," in (out / "s.html").read_text()


def test_bench_exit_code_follows_the_budget(ref_onnx):
    ok = cli("bench", "--model", ref_onnx, "--frames", "30", "--budget-ms", "1000", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["within_budget"]
    over = cli("bench", "--model", ref_onnx, "--frames", "30", "--budget-ms", "0.01")
    assert over.returncode == 1 and "OVER" in over.stdout


def test_bench_on_openvino_also_gives_openvinos_own_clock(ref_onnx):
    # The figure benchmark_app prints (InferRequest.latency), beside the wall-clock stage;
    # onnxruntime reports no such clock, so its summary has none.
    ov = json.loads(cli("bench", "--model", ref_onnx, "--backend", "openvino", "--frames", "30", "--json").stdout)
    engine, stage = ov["inference_engine_clock"], ov["stages"]["inference"]
    assert engine["count"] == 30 and 0 < engine["p50"] <= stage["p50"]
    ort = json.loads(cli("bench", "--model", ref_onnx, "--frames", "30", "--json").stdout)
    assert "inference_engine_clock" not in ort
    text = cli("bench", "--model", ref_onnx, "--backend", "openvino", "--frames", "30").stdout
    assert "inference as openvino itself times it" in text


@pytest.mark.parametrize("source,needle", [("nothing-here.mp4", "does not exist"),
                                           ("sim:sideways", "simulator source kind")])
def test_bad_source_is_one_line(ref_onnx, source, needle):
    r = cli("run", "--model", ref_onnx, "--source", source)
    assert r.returncode == 1 and needle in r.stderr and r.stderr.count("\n") == 1


def test_model_not_matching_its_spec_is_one_line(ref_onnx, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[input]\nname = "frames"\nheight = 96\nwidth = 96\n[output]\nname = "logits"\n')
    r = cli("run", "--model", ref_onnx, "--spec", spec, "--source", "sim:none?seconds=1")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "96" in r.stderr


def test_unreadable_video_is_one_line(ref_onnx, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    r = cli("run", "--model", ref_onnx, "--source", bad)
    assert r.returncode == 1 and r.stderr.count("\n") == 1


def test_alert_flags_override_and_are_checked(ref_onnx):
    r = cli("run", "--model", ref_onnx, "--source", "sim:none?seconds=1", "--alert-k", "9", "--alert-n", "6")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "k=9, n=6" in r.stderr


def test_frames_of_an_unusable_size_are_one_line(ref_onnx, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"f{i}.png"), np.full((4, 4, 3), 100, np.uint8))
    r = cli("run", "--model", ref_onnx, "--source", folder, "--quiet")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "frame of size 4x4" in r.stderr
