"""From a finished pipeline session to the session review report."""

from __future__ import annotations

import csv
from pathlib import Path


def _truth_beside(source: str) -> list[tuple[int, bool, bool]] | None:
    """A simulator sweep's <stem>.labels.csv, when the source is such a video."""
    p = Path(source)
    labels = p.with_name(p.stem + ".labels.csv")
    if not labels.is_file():
        return None
    with open(labels, newline="") as f:
        return [(int(r["frame"]), r["in_plane"] == "1", r["cleft"] == "1") for r in csv.DictReader(f)]


def alarm_delay_line(config) -> str:
    """The policy's measured alarm delay, or why there is none (a disclosure either way)."""
    if config.delay is None:
        return ("not measured for this policy (default or command-line policy); measure it with "
                "cleftedge tune-alerts and run with --alerts")
    return config.delay.line()


def write_report(path: str, source: str, model, pipeline, session) -> None:
    from cleftedge.runtime.review import SessionData, write_session_report

    times = session.trace.times().tolist()
    events = [{"type": "score", "frame": f, "score": s, "t": t} for (f, s), t in zip(session.trace, times, strict=True)]
    events += session.events
    source_live = pipeline.source.is_live or pipeline.source.realtime
    stamps = [e["t"] for e in session.events if "t" in e]
    info = model.describe()
    manifest = model.manifest or {}
    model_info = {"model": f"{model.spec.model_name} v{model.spec.model_version}",
                  "backend": info.get("backend"), "device": info.get("device"), "precision": info.get("precision"),
                  "versions": info.get("versions"), "profile": (manifest.get("profile") or {}).get("name", "-")
                  if isinstance(manifest, dict) else "-",
                  "QA verdict": (manifest.get("qa") or {}).get("verdict", "none attached")
                  if isinstance(manifest, dict) else "none attached",
                  "alarm delay (IEC 60601-1-8)": alarm_delay_line(pipeline.policy.config)}
    data = SessionData(session=session.session, source=source, threshold=pipeline.policy.threshold, events=events,
                       summary={**session.summary, "frames": session.summary.get("frames"),
                                "latency": {"end_to_end": session.summary["stages"]["end_to_end"]}},
                       flagged=session.flagged,
                       latency_ms=list(pipeline.metrics.stages["end_to_end"].values()),
                       budget_ms=pipeline.metrics.budget_ms, fps=pipeline.source.fps or pipeline.metrics.fps,
                       truth=session.truth or _truth_beside(source), model_info=model_info,
                       timebase="wall" if source_live else "frames", started=min(stamps, default=None),
                       ended=max(stamps, default=None), best_frames_limit=session.best.max_groups)
    write_session_report(path, data)
