"""The end-of-session summary (JSON): frames, drops, alerts, latency percentiles against the budget."""

from __future__ import annotations

from cleftedge.runtime.alerts import Alert, AlertPolicy
from cleftedge.runtime.metrics import LatencyMetrics

SCHEMA = 1


def alert_record(alert: Alert) -> dict:
    """An alert as the session summary and its events write it."""
    return {"alert_id": alert.alert_id, "start_frame": alert.start_frame, "start_t_capture": alert.start_t,
            "end_frame": alert.end_frame, "end_t_capture": alert.end_t, "open_at_end": alert.end_frame is None,
            "peak_score": round(alert.peak_score, 5), "best_frame": alert.best_frame}


def session_summary(session: str, source: dict, model: dict, policy: AlertPolicy, metrics: LatencyMetrics,
                    frame_errors: int, frozen_frames: int, error: str | None) -> dict:
    """What a script or the review report wants after a scan; the same dict is the session_end event."""
    return {"kind": "cleftedge.session_summary", "schema": SCHEMA, "session": session, "source": source,
            "model": model, "alert_policy": policy.describe(),
            "alerts": [alert_record(a) for a in policy.alerts], **metrics.summary(),
            "frame_errors": frame_errors, "frozen_frames": frozen_frames, "source_error": error}
