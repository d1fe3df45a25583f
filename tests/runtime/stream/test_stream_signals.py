"""A real `cleftedge run` stopped the way systemd (SIGTERM) and an operator (Ctrl-C: SIGINT) stop it:
the session closes cleanly within 5 s, and a crash (kill -9) never costs a previous session's events."""

import json
import signal
import subprocess
import sys
import time

import pytest


def start_run(model, events, *extra):
    return subprocess.Popen([sys.executable, "-m", "cleftedge", "run", "--model", str(model), "--source",
                             "sim:unilateral?seed=3&seconds=120", "--events", str(events), "--quiet", *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_events(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_scores(proc, path, count=5, timeout=60.0, session_no=1):
    """Until the run (the file's `session_no`th session) has scored `count` frames."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        if path.exists():
            events = [e for e in read_events(path) if e["type"] in ("session_start", "score")]
            starts = [i for i, e in enumerate(events) if e["type"] == "session_start"]
            if len(starts) >= session_no and len(events) - starts[-1] - 1 >= count:
                return
        time.sleep(0.1)
    raise AssertionError("the run never scored a frame")


def sessions(events):
    out = {}
    for e in events:
        out.setdefault(e["session"], []).append(e)
    return out


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_signal_closes_the_session_and_writes_every_output(ref_onnx, tmp_path, signum, code):
    events, summary, report = tmp_path / "ev.jsonl", tmp_path / "sum.json", tmp_path / "r.html"
    proc = start_run(ref_onnx, events, "--summary", summary, "--report", report)
    wait_for_scores(proc, events)
    t = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=10)
    took = time.monotonic() - t
    assert proc.returncode == code, err
    assert took < 5.0, f"closing took {took:.1f} s"
    assert "Traceback" not in err and f"stopped by {signal.Signals(signum).name}" in err
    ev = read_events(events)
    assert ev[0]["type"] == "session_start" and ev[-1]["type"] == "session_end"
    assert [e["state"] for e in ev if e["type"] == "state"][-1] == "stopped"
    end_summary = ev[-1]["summary"]
    assert end_summary["end_reason"] == f"stopped by {signal.Signals(signum).name}" and end_summary["frames"] >= 5
    assert json.loads(summary.read_text()) == json.loads(json.dumps(end_summary))
    assert "<html" in report.read_text().lower()


def test_events_append_and_a_crash_keeps_the_previous_sessions(ref_onnx, tmp_path):
    events = tmp_path / "ev.jsonl"
    first = start_run(ref_onnx, events, "--max-frames", "10")
    assert first.wait(timeout=60) == 0
    crashed = start_run(ref_onnx, events)
    wait_for_scores(crashed, events, session_no=2)
    crashed.kill()  # kill -9: no handler runs, no session_end
    crashed.wait(timeout=10)
    with open(events, "a") as f:
        f.write('{"type":"score","frame":')  # the crash cut a line in half
    restarted = start_run(ref_onnx, events, "--max-frames", "10")
    assert restarted.wait(timeout=60) == 0
    lines = events.read_text().splitlines()
    assert sum(1 for line in lines if line.startswith("{") and not line.endswith("}")) == 1  # only the cut one
    by_session = sessions([json.loads(line) for line in lines if line.endswith("}")])
    assert len(by_session) == 3
    one, two, three = by_session.values()
    assert one[0]["type"] == "session_start" and one[-1]["type"] == "session_end"
    assert one[-1]["summary"]["frames"] == 10 and one[-1]["summary"]["end_reason"] == "max frames"
    assert two[0]["type"] == "session_start" and "session_end" not in {e["type"] for e in two}
    assert sum(e["type"] == "score" for e in two) >= 5  # the crashed session's evidence is all there
    assert three[0]["type"] == "session_start" and three[-1]["type"] == "session_end"
    assert all(e["schema"] == 2 for e in one + two + three)


def test_a_busy_serve_port_leaves_the_previous_events_untouched(ref_onnx, tmp_path):
    import socket

    events = tmp_path / "ev.jsonl"
    events.write_text('{"type":"session_start","session":"earlier"}\n')
    before = events.read_bytes()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "cleftedge", "run", "--model", str(ref_onnx), "--source",
                            "sim:none?seconds=1", "--events", str(events), "--serve", f"127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert events.read_bytes() == before
