"""tune-alerts end to end on small real sweeps (simulated videos), the overlap refusal, bad input,
and the alarm delay travelling into run's session_start event and the session report."""

import json
import shutil

import cv2
import pytest
from tune_helpers import copy_sweep

from cleftedge.alert_tuning.policy_file import load_tuning
from cleftedge.cli import main
from cleftedge.hashing import sha256_file
from cleftedge.runtime.alerts import load_alert_config

SMALL_GRID = ["--grid-k", "1,2,3,4", "--grid-n", "1,4,6", "--grid-cooldown", "0,30"]


def tune(model, sweeps, out, *extra):
    return main(["tune-alerts", "--model", str(model), "--sweeps", str(sweeps), "--out", str(out), *map(str, extra)])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cleftedge: error:") and "Traceback" not in err[0], err
    return err[0]


@pytest.fixture(scope="module")
def tuned(ref_model, sweep_dirs, tmp_path_factory):
    tune_dir, other = sweep_dirs
    out = tmp_path_factory.mktemp("tuned") / "alerts.toml"
    assert tune(ref_model, tune_dir, out, "--judged-on", other, "--json") == 0  # distinct sweeps: accepted
    return out


def test_tune_alerts_writes_the_policy_its_delay_the_record_and_the_curve(tuned, sweep_dirs):
    tune_dir, _ = sweep_dirs
    cfg = load_alert_config(tuned)  # what run --alerts reads
    assert cfg.threshold is None  # the flag threshold stays the model's operating point
    assert cfg.delay is not None and 0 <= cfg.delay.median_s <= cfg.delay.max_s < 5 and cfg.delay.passes >= 1
    table, records = load_tuning(tuned)
    assert table["passes_alerted"] == cfg.delay.passes and "fastest policy" in table["rule"]
    # the record knows the sweeps by content, not by name
    assert {r.sha256 for r in records} == {sha256_file(v) for v in tune_dir.glob("*.mp4")}
    assert all(len(r.fingerprint) == 16 * -(-r.frames // 30) for r in records)
    html = tuned.with_suffix(".html").read_text()
    assert 'class="chosen"' in html and 'class="single-frame"' in html and 'class="curve"' in html
    assert "<script src" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_run_discloses_the_alarm_delay_in_session_start_and_the_report(ref_model, tuned, sweep_dirs, tmp_path):
    _, other = sweep_dirs
    delay = load_alert_config(tuned).delay
    ev, report = tmp_path / "ev.jsonl", tmp_path / "s.html"
    assert main(["run", "--model", str(ref_model), "--source", str(other / "cleft2.mp4"), "--alerts", str(tuned),
                 "--events", str(ev), "--report", str(report), "--max-frames", "20", "--quiet"]) == 0
    start = next(json.loads(line) for line in ev.read_text().splitlines() if '"session_start"' in line)
    assert start["alerts"]["delay"]["median_s"] == pytest.approx(delay.median_s)
    assert start["alerts"]["delay"]["max_s"] == pytest.approx(delay.max_s)
    assert "IEC 60601-1-8" in report.read_text() and f"max {delay.max_s:.2f} s" in report.read_text()
    # a flag overriding the policy makes it another policy: its delay was never measured
    assert main(["run", "--model", str(ref_model), "--source", str(other / "cleft2.mp4"), "--alerts", str(tuned),
                 "--alert-k", "1", "--events", str(ev), "--max-frames", "5", "--quiet"]) == 0
    starts = [json.loads(line) for line in ev.read_text().splitlines() if '"session_start"' in line]
    assert len(starts) == 2  # events append: the first session is kept
    start = starts[-1]
    assert start["alerts"]["delay"] is None and start["alerts"]["k"] == 1


def test_renamed_copies_of_the_tuning_sweeps_are_refused(ref_model, sweep_dirs, tmp_path, capsys):
    tune_dir, other = sweep_dirs
    judged = tmp_path / "qa-sweeps"
    shutil.copytree(other, judged)
    copy_sweep(tune_dir / "cleft.mp4", judged, "patient-0042")  # same bytes, another name
    out = tmp_path / "alerts.toml"
    assert tune(ref_model, tune_dir, out, "--judged-on", judged, *SMALL_GRID) == 1
    line = one_line_error(capsys)
    assert "overlaps --judged-on" in line and "patient-0042.mp4" in line and "same content" in line
    assert not out.exists() and not out.with_suffix(".html").exists()


def test_re_encoded_copies_are_refused_by_their_fingerprint(ref_model, sweep_dirs, tmp_path, capsys):
    tune_dir, _ = sweep_dirs
    judged = tmp_path / "qa-sweeps"
    judged.mkdir()
    cap = cv2.VideoCapture(str(tune_dir / "cleft.mp4"))
    w = cv2.VideoWriter(str(judged / "case7.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    while (frame := cap.read())[0]:
        w.write(frame[1])
    w.release()
    shutil.copy(tune_dir / "cleft.labels.csv", judged / "case7.labels.csv")
    assert sha256_file(judged / "case7.avi") != sha256_file(tune_dir / "cleft.mp4")
    out = tmp_path / "alerts.toml"
    assert tune(ref_model, tune_dir, out, "--judged-on", judged, *SMALL_GRID) == 1
    line = one_line_error(capsys)
    assert "near copy" in line and "case7.avi" in line and not out.exists()


@pytest.mark.parametrize("case,needle", [
    ("out-json", "a .toml file name"),
    ("no-dir", "does not exist"),
    ("bad-columns", "columns frame,in_plane,cleft"),
    ("short-labels", "one label row per video frame"),
    ("min-alerted", "a percentage above 0"),
    ("no-pass", "no in-plane cleft pass"),
])
def test_bad_input_is_one_line_and_writes_nothing(case, needle, ref_model, sweep_dirs, tmp_path, capsys):
    tune_dir, _ = sweep_dirs
    sweeps, out, extra = tmp_path / "sw", tmp_path / "alerts.toml", list(SMALL_GRID)
    if case != "no-dir":
        copy_sweep(tune_dir / ("normal.mp4" if case == "no-pass" else "cleft.mp4"), sweeps, "a")
    labels = sweeps / "a.labels.csv"
    if case == "out-json":
        out = tmp_path / "alerts.json"
    elif case == "bad-columns":
        labels.write_text("frame,plane,cleft\n0,1,1\n")
    elif case == "short-labels":
        labels.write_text("\n".join(labels.read_text().splitlines()[:50]) + "\n")
    elif case == "min-alerted":
        extra += ["--min-alerted", "150"]
    assert tune(ref_model, sweeps, out, *extra) == 1
    assert needle in one_line_error(capsys)
    assert not out.exists() and not out.with_suffix(".html").exists()


def test_qa_refuses_to_judge_a_tuned_policy_on_its_tuning_sweeps(ref_model, tuned, sweep_dirs, tmp_path, capsys):
    tune_dir, _ = sweep_dirs
    renamed = tmp_path / "qa-sweeps"
    copy_sweep(tune_dir / "normal.mp4", renamed, "site-b-0001")
    data = tmp_path / "qa"
    assert main(["simulate", "frames", "--out", str(data), "--count", "8", "--seed", "3"]) == 0
    capsys.readouterr()
    rc = main(["qa", "--reference", str(ref_model), "--candidate", str(ref_model), "--data", str(data),
               "--sweeps", str(renamed), "--alerts", str(tuned), "--report", str(tmp_path / "rep")])
    line = one_line_error(capsys)
    assert rc == 1 and "was tuned on them" in line and "site-b-0001.mp4 is the tuning sweep normal.mp4" in line
    assert not (tmp_path / "rep").exists()
