import io
import json

import numpy as np

from cleftedge.runtime.best_frames import BestFrames
from cleftedge.runtime.events import JsonlSink, Sink, Sinks, TerminalSink
from cleftedge.runtime.trace import ScoreTrace


def test_score_trace_stays_bounded_and_keeps_peaks():
    t = ScoreTrace(cap=4096)
    for i in range(20000):
        t.add(i, 0.99 if i == 12345 else 0.1, {"in_plane": True, "cleft": i > 100})
    assert len(t) <= 4096 and t._frame.nbytes <= 4096 * 8
    assert (12345, np.float32(0.99)) in [(f, np.float32(s)) for f, s in t]  # merging keeps the peak
    frames = [f for f, _ in t]
    assert frames == sorted(frames) and frames[-1] >= 19990
    assert t.truth[-1][1:] == (True, True)


def test_best_frames_kept_per_alert_with_heat_map():
    best = BestFrames(per_alert=2)
    image = np.full((60, 80, 3), 90, np.uint8)
    heat = np.ones((7, 7), np.float32)
    for i, (alert, score) in enumerate([(1, 0.8), (1, 0.95), (1, 0.7), (1, 0.9), (2, 0.85), (None, 0.8)]):
        best.keep(alert, i, score, image, heat)
    assert [f.frame for f in best.for_alert(1)] == [1, 3]  # the two best, best first
    assert [f.frame for f in best.frames()] == [1, 3, 4, 5]
    kept = best.for_alert(2)[0]
    assert kept.jpeg[:2] == b"\xff\xd8" and kept.heatmap.shape == (7, 7) and kept.alert_id == 2


def test_jsonl_thins_scores_but_keeps_flagged_and_a_failing_sink_is_dropped(tmp_path, capsys):
    path = tmp_path / "ev.jsonl"

    class Broken(Sink):
        def emit(self, event):
            raise OSError("disk full")

    out = io.StringIO()
    sinks = Sinks([JsonlSink(str(path), score_every=10), Broken(), TerminalSink(out)])
    for i in range(30):
        sinks.emit({"type": "score", "t": 1.0, "session": "s", "frame": i, "flagged": i == 7})
    sinks.emit({"type": "alert_raised", "t": 1.0, "session": "s", "alert_id": 1, "frame": 29, "score": 0.9})
    sinks.close()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["frame"] for e in events if e["type"] == "score"] == [0, 7, 10, 20]
    assert "ALERT 1" in out.getvalue() and "disk full" in capsys.readouterr().err


def test_a_sink_without_wants_frames_gets_frames():
    got = []

    class Page:  # the live view's sink duck-types the interface
        def emit(self, event):
            pass

        def frame(self, index, image, result):
            got.append(index)

        def close(self):
            pass

    sinks = Sinks([Page()])
    assert sinks.wants_frames
    sinks.frame(3, np.zeros((4, 4, 3), np.uint8), None)
    assert got == [3]
