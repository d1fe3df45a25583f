"""From a finished pipeline session to the session review report."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.runtime import event_types
from cleftedge.runtime.review.session_report import FlaggedFrame, SessionData, write_session_report

if TYPE_CHECKING:  # the review reads a session; it needs none of the pipeline to do so
    from cleftedge.runtime.alerts import AlertConfig
    from cleftedge.runtime.stream import Session


def _truth_beside(source: str) -> list[tuple[int, bool, bool]] | None:
    """A simulator sweep's <stem>.labels.csv, when the source is such a video."""
    p = Path(source)
    labels = p.with_name(p.stem + ".labels.csv")
    if not labels.is_file():
        return None
    with open(labels, newline="") as f:
        return [(int(r["frame"]), r["in_plane"] == "1", r["cleft"] == "1") for r in csv.DictReader(f)]


def alarm_delay_line(config: AlertConfig) -> str:
    """The policy's measured alarm delay, or why there is none (a disclosure either way)."""
    if config.delay is None:
        return ("not measured for this policy (default or command-line policy); measure it with "
                "cleftedge tune-alerts and run with --alerts")
    return config.delay.line()


def _what_ran(session: Session) -> dict[str, Any]:
    """The report's "What ran" table: model, engine, versions, the bundle's profile and QA verdict."""
    info = session.summary.get("model") or {}  # the model's description at the end of the session
    manifest = session.setup.manifest
    bundle = manifest if isinstance(manifest, dict) else {}
    return {"model": session.setup.model_name, "backend": info.get("backend"), "device": info.get("device"),
            "precision": info.get("precision"), "versions": info.get("versions"),
            "profile": (bundle.get("profile") or {}).get("name", "-") if isinstance(manifest, dict) else "-",
            "QA verdict": (bundle.get("qa") or {}).get("verdict", "none attached")
            if isinstance(manifest, dict) else "none attached",
            "alarm delay (IEC 60601-1-8)": alarm_delay_line(session.setup.alerts)}


def session_data(session: Session) -> SessionData:
    """A finished session as the review report's data: everything from the session itself."""
    setup = session.setup
    times = session.trace.times().tolist()
    events = [{"type": event_types.SCORE, "frame": f, "score": s, "t": t}
              for (f, s), t in zip(session.trace, times, strict=True)]
    events += session.events
    stamps = [e["t"] for e in session.events if "t" in e]
    flagged: list[FlaggedFrame] = list(session.flagged)
    return SessionData(session=session.session, source=setup.source, threshold=setup.threshold, events=events,
                       summary={**session.summary, "frames": session.summary.get("frames"),
                                "latency": {"end_to_end": session.summary["stages"]["end_to_end"]}},
                       flagged=flagged, latency_ms=list(session.latency_ms), budget_ms=setup.budget_ms,
                       fps=session.fps, truth=session.truth or _truth_beside(setup.source),
                       model_info=_what_ran(session), timebase="wall" if setup.live else "frames",
                       started=min(stamps, default=None), ended=max(stamps, default=None),
                       best_frames_limit=session.best.max_groups)


def write_report(path: str | Path, session: Session) -> Path:
    """Write the session review (one self-contained HTML page) of a finished session to `path`."""
    return write_session_report(path, session_data(session))
