import re

import cv2
import numpy as np

from cleftedge.runtime.review import SessionData, write_session_report
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
