import re

import cv2
import numpy as np
import pytest

from cleftedge.runtime.review import SessionData, render_session_report, write_session_report
from cleftedge.runtime.review.session_report import FlaggedFrame


def make_data():
    events = [{"type": "score", "frame": i, "score": 0.9 if 30 <= i < 60 else 0.1} for i in range(90)]
    events += [{"type": "alert_raised", "alert_id": 1, "frame": 36, "score": 0.9},
               {"type": "alert_cleared", "alert_id": 1, "start_frame": 36, "end_frame": 64, "peak_score": 0.95,
                "best_frame": 44}]
    ok, jpg = cv2.imencode(".jpg", np.full((60, 80, 3), 90, np.uint8))
    truth = [(i, 20 <= i < 70, 25 <= i < 65) for i in range(90)]
    return SessionData(session="s1", source="sweep.mp4", threshold=0.5, events=events,
                       summary={"frames": 90, "dropped": 0, "alerts": 1,
                                "latency": {"end_to_end": {"p50": 3.0, "p99": 6.5}}},
                       flagged=[FlaggedFrame(44, 0.95, jpg.tobytes(), 1)], latency_ms=list(np.linspace(2, 7, 90)),
                       budget_ms=50.0, fps=30.0, truth=truth,
                       model_info={"model": "reference", "profile": "intel-cpu", "qa": "pass"})


def test_session_report_has_sections_images_and_no_external_loads(tmp_path):
    path = write_session_report(tmp_path / "session.html", make_data())
    html = path.read_text()
    for section in ("summary", "timeline-section", "alerts", "flagged", "latency", "bundle", "timeline",
                    "latency-histogram"):
        assert f'id="{section}"' in html
    assert html.count("data:image/jpeg;base64,") == 1
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "cleft in view (truth)" in html and "alert 1" in html
    assert "intel-cpu" in html


def test_session_without_alerts_says_so(tmp_path):
    data = make_data()
    data.events = [e for e in data.events if e["type"] == "score"]
    data.flagged = []
    html = write_session_report(tmp_path / "s.html", data).read_text()
    assert 'id="no-alerts"' in html and "No frame was flagged" in html


# --- the review shows the gaps (issue 12 §4) ---------------------------------------------------------

T0 = 1796151434.0  # Tue 1 Dec 2026, 18:57:14 UTC


def wall_data(**kw):
    """A live session on the wall clock: 5 s scanning, 3 s paused (source lost), 4 s more with a freeze."""
    times = [T0 + i / 30 for i in range(150)] + [T0 + 8 + i / 30 for i in range(120)]
    events = [{"type": "score", "frame": i, "score": 0.1, "t": t} for i, t in enumerate(times)]
    events += [{"type": "state", "state": "running", "reason": "", "t": T0},
               {"type": "state", "state": "paused", "reason": "no frames from the source", "t": T0 + 5.0},
               {"type": "state", "state": "running", "reason": "", "t": T0 + 8.0},
               {"type": "state", "state": "frozen", "reason": "image frozen", "t": T0 + 9.0},
               {"type": "state", "state": "running", "reason": "", "t": T0 + 9.5},
               {"type": "frame_error", "frame": 200, "reason": "inference failed: boom", "t": T0 + 9.8},
               {"type": "state", "state": "stopped", "reason": "session ended", "t": T0 + 12.0}]
    return SessionData(session="s2", source="0", threshold=0.753, events=events, fps=30.0, timebase="wall",
                       started=T0, ended=T0 + 12.0, summary={"frames": 270, "dropped": 0, "frame_errors": 1}, **kw)


def test_paused_and_frozen_spans_and_frame_errors_on_the_timeline():
    from cleftedge.runtime.review.svg import PAD, W

    html = render_session_report(wall_data())
    paused = re.search(r'<rect x="([\d.]+)"[^>]*width="([\d.]+)"[^>]*><title>AI paused: no frames from the source '
                       r'\(3\.0 s\)</title>', html)
    assert paused, "the paused span with its reason and length"
    px = lambda s: PAD + s / 12.0 * (W - 2 * PAD)  # noqa: E731 - seconds to the chart's x
    assert abs(float(paused[1]) - px(5.0)) < 1 and abs(float(paused[2]) - (px(8.0) - px(5.0))) < 1
    assert "<title>image frozen (0.5 s)</title>" in html
    assert "frame 200: inference failed: boom" in html  # a tick where the frame error was
    timeline = html[html.index('<svg id="timeline"'):html.index("</svg>", html.index('<svg id="timeline"'))]
    assert timeline.count("<polyline") == 2  # the score line stops where the source was lost


def test_dropped_frames_with_their_reason():
    data = wall_data()
    data.summary.update(dropped=12, frame_errors=3)
    html = render_session_report(data)
    table = html[html.index('id="drop-table"'):]
    assert "replaced by a newer frame while the model was busy" in table and "<td>12</td>" in table
    assert "could not be scored: inference failed: boom</td><td>1</td>" in table
    assert "reason not kept" in table and "<td>2</td>" in table  # the summary counted more than were kept
    data.summary.update(dropped=0, frame_errors=0)
    data.events = [e for e in data.events if e["type"] != "frame_error"]
    assert 'id="no-drops"' in render_session_report(data)


def test_human_readable_date_and_duration(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        data = wall_data()
        data.ended = T0 + 1203.0
        html = render_session_report(data)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert "<th>started</th><td>Tue 01 Dec 2026, 18:57:14 UTC</td>" in html
    assert "<th>duration</th><td>20 min 3 s</td>" in html


def flagged_with_views(frame, alert_id, score=0.95, image=None):
    from cleftedge.runtime.annotate import FrameLayers
    from cleftedge.runtime.best_frames import review_parts

    image = np.full((480, 640, 3), 90, np.uint8) if image is None else image
    yy, xx = np.mgrid[0:image.shape[0], 0:image.shape[1]]
    heat = np.exp(-(((xx - 320) / 60.0) ** 2 + ((yy - 200) / 40.0) ** 2)).astype(np.float32)
    ok, jpg = cv2.imencode(".jpg", image)
    return FlaggedFrame(frame, score, jpg.tobytes(), alert_id, **review_parts(FrameLayers(image, heat)))


def test_each_flagged_frame_clean_and_with_its_heat_map_and_its_time(tmp_path):
    data = make_data()
    data.flagged = [flagged_with_views(44, 1), flagged_with_views(50, 1, 0.9)]
    html = write_session_report(tmp_path / "s.html", data).read_text()
    assert html.count("data:image/jpeg;base64,") == 2  # each frame's image once, shown twice
    for n in range(2):
        assert f'<image id="flag-img-{n}"' in html and f'<use href="#flag-img-{n}"/>' in html
    assert html.count("data:image/png;base64,") == 2 and html.count('class="heat-outline"') >= 4
    assert "frame 44 at 1.5 s, score 0.95, alert 1" in html and "frame 50 at 1.7 s" in html


def test_an_alert_still_open_at_the_end_has_its_best_frame():
    data = make_data()
    data.events = [e for e in data.events if e["type"] != "alert_cleared"]
    data.summary["alerts"] = [{"alert_id": 1, "start_frame": 36, "end_frame": None, "open_at_end": True,
                               "peak_score": 0.97, "best_frame": 52}]
    html = render_session_report(data)
    row = html[html.index("<td>1</td><td>36</td>"):].split("</tr>")[0]
    assert "still open at the end" in row and "<td>0.97</td>" in row and "<td>52</td>" in row


def test_a_full_best_frame_store_says_how_many_alerts_have_no_frames():
    from cleftedge.runtime.best_frames import BestFrames

    store = BestFrames(per_alert=3, max_groups=2)
    image = np.full((60, 80, 3), 90, np.uint8)
    for alert in range(1, 6):
        store.keep(alert, alert * 10, 0.9, image, None)
    assert store.refused == {3, 4, 5}
    data = make_data()
    data.events = [e for e in data.events if e["type"] == "score"]
    data.events += [{"type": "alert_raised", "alert_id": a, "frame": a * 10, "score": 0.9} for a in range(1, 6)]
    data.flagged, data.best_frames_limit = store.frames(), store.max_groups
    html = render_session_report(data)
    assert "3 of 5 alerts have no frames kept" in html and "at most 2 alerts" in html


def test_a_twenty_minute_session_report_stays_small_and_keeps_every_spike():
    from cleftedge.runtime.review.svg import _y
    from cleftedge.simulator.sweep import iter_sweep

    n = 20 * 60 * 30
    scores = np.full(n, 0.1)
    scores[20000] = 0.99  # one frame: decimating by stride would lose it
    events = [{"type": "score", "frame": i, "score": float(s)} for i, s in enumerate(scores)]
    events += [{"type": "alert_raised", "alert_id": a, "frame": a * 500, "score": 0.9} for a in range(1, 190)]
    frame = next(iter_sweep(1, "unilateral", 3, 30.0)).image
    frame = frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    one = flagged_with_views(0, 1, image=frame)
    flagged = [FlaggedFrame(a * 500 + k, 0.9, one.jpeg, a, one.clean, one.size, one.heat_png, one.outline)
               for a in range(1, 65) for k in range(3)]  # a full store: 64 alerts, 3 frames each
    data = SessionData(session="long", source="0", threshold=0.753, events=events, fps=30.0, flagged=flagged,
                       summary={"frames": n}, best_frames_limit=64)
    html = render_session_report(data)
    start = html.index('<svg id="timeline"')
    timeline = html[start:html.index("</svg>", start)]
    assert len(timeline) < 40_000, len(timeline)
    ys = [float(p.split(",")[1]) for p in re.findall(r'points="([^"]+)"', timeline)[0].split()]
    assert min(ys) == pytest.approx(_y(0.99), abs=0.06)
    assert len(html) < 6_000_000, len(html)
    assert "125 of 189 alerts have no frames kept" in html


def test_a_file_played_fast_keeps_the_videos_own_time_and_places_states_between_frames():
    # 90 frames of a 30 fps video scored in 0.9 s (ten times real time); frozen from frame 60 to 75
    events = [{"type": "score", "frame": i, "score": 0.1, "t": T0 + i / 100} for i in range(90)]
    events += [{"type": "state", "state": "frozen", "reason": "image frozen", "t": T0 + 0.60},
               {"type": "state", "state": "running", "reason": "", "t": T0 + 0.75}]
    data = SessionData(session="f", source="sweep.mp4", threshold=0.5, events=events, fps=30.0,
                       timebase="frames", started=T0, ended=T0 + 0.9, summary={"frames": 90})
    html = render_session_report(data)
    assert "<title>image frozen (0.5 s)</title>" in html  # frames 60..75 of the video: 2.0 s to 2.5 s
    assert "own time (frame / frame rate)" in html and "<th>run time</th><td>1 s</td>" in html


def test_the_report_of_a_finished_session_needs_only_the_session(live_model, tmp_path):
    """write_report(path, session): what ran, the budget, the source as given and the latency samples
    travel with the session; the model and the pipeline may be gone by the time the report is written."""
    from cleftedge.runtime.alerts import AlertConfig
    from cleftedge.runtime.events import Sinks
    from cleftedge.runtime.model import Model
    from cleftedge.runtime.review.from_session import write_report
    from cleftedge.runtime.sources import open_source
    from cleftedge.runtime.stream import Pipeline

    given = "sim:unilateral?seed=3&seconds=1&fps=30"
    model = Model.open(live_model, steady=True)
    pipeline = Pipeline(model, open_source(given), Sinks([]), AlertConfig(threshold=0.42), budget_ms=80.0,
                        source_label=given)
    session = pipeline.run()
    model.close()
    del pipeline, model
    assert session.setup.source == given and session.setup.threshold == 0.42 and session.setup.budget_ms == 80.0
    assert len(session.latency_ms) == session.summary["frames"] > 0 and session.fps == 30.0
    html = write_report(tmp_path / "r.html", session).read_text()
    assert f"<td>{given.replace('&', '&amp;')}</td>" in html and "<td>0.420</td>" in html
    assert "Latency against the budget (80.0 ms)" in html and 'id="latency-histogram"' in html
    spec_line = f"{session.summary['model']['spec']['model_name']} v{session.summary['model']['spec']['model_version']}"
    assert f"<td>{spec_line}</td>" in html and "<td>onnxruntime</td>" in html
    assert "not measured for this policy" in html and "none attached" in html
