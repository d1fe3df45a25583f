"""The streaming pipeline: capture thread -> latest frame -> preprocess -> inference -> decision ->
events, with per-stage latency and a fail-safe that never goes silent.

Heartbeats come from the processing loop itself (also while it waits for frames), so a hung or
crashed runtime stops them and whoever reads the events can tell it from a quiet one."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime import event_types
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
from cleftedge.runtime.annotate import Annotator, FrameLayers
from cleftedge.runtime.best_frames import BestFrame, BestFrames
from cleftedge.runtime.capture import Capture, Mailbox, Notice
from cleftedge.runtime.events import EVENTS_SCHEMA, Sinks, new_session_id
from cleftedge.runtime.frozen import FrozenDetector
from cleftedge.runtime.metrics import LatencyMetrics
from cleftedge.runtime.model import Model, Scored
from cleftedge.runtime.sources.base import Frame, Source
from cleftedge.runtime.summary import session_summary
from cleftedge.runtime.trace import ScoreTrace

HEARTBEAT_S = 1.0
STALL_S = 2.0  # a live source silent this long pauses the AI
LATENCY_EVERY_S = 10.0
KEEP_PER_ALERT = 3
KEEP_EVENTS = 2000  # state and frame-error events remembered for the review (alerts are always kept)


@dataclass(frozen=True)
class SessionSetup:
    """What a session runs with, fixed at its start: what the review report shows beside the scores."""

    source: str  # the source as the user gave it (a simulator sweep's labels are looked for beside it)
    live: bool  # a live or real-time source: the review's time axis is the wall clock
    model_name: str  # "name vVERSION" from the spec
    manifest: dict[str, Any] | None  # the bundle manifest (None for a plain model file)
    threshold: float  # the flag threshold the policy runs with
    alerts: AlertConfig  # the alert policy (its measured alarm delay, where it has one)
    budget_ms: float


class Session:
    """What a finished run leaves: the summary, the score trace, the alerts and states, and the best
    flagged frames per alert (annotated JPEG + heat map), with what the session review needs."""

    def __init__(self, session: str, setup: SessionSetup) -> None:
        self.session = session
        self.setup = setup
        self.summary: dict = {}
        self.trace = ScoreTrace()  # iterates as (frame, score)
        self.best = BestFrames(KEEP_PER_ALERT)
        self.flagged: list[BestFrame] = []  # filled at the end: self.best.frames()
        self.alert_events: list[dict] = []
        self.other_events: deque[dict] = deque(maxlen=KEEP_EVENTS)
        self.error: str | None = None  # why the source failed, when it did (not a normal end)
        self.end_reason = ""  # why the session ended: "source ended", "stopped by SIGTERM", "max frames"...
        self.ended_early: dict | None = None  # a file that ended before the frames its container announced
        self.fps: float | None = None  # filled at the end: the source's frame rate, else the budget's
        self.latency_ms: list[float] = []  # filled at the end: end-to-end samples (the newest kept)

    @property
    def events(self) -> list[dict]:
        """Alerts, states and frame errors in time order (no scores, heartbeats or latency)."""
        return sorted([*self.alert_events, *self.other_events], key=lambda e: e["t"])

    @property
    def truth(self) -> list[tuple[int, bool, bool]]:
        """(frame, in plane, cleft) per frame where the source knows the truth (simulator sweeps)."""
        return self.trace.truth


class Pipeline:
    """Source -> model -> alert policy -> events, for one session (`run`)."""

    def __init__(self, model: Model, source: Source, sinks: Sinks, alerts: AlertConfig | None = None,
                 fps: float = 30.0, budget_ms: float = 50.0, session: str | None = None,
                 source_label: str | None = None) -> None:
        """`source_label`: the source as the user gave it, for the review (default: its location)."""
        self.model = model
        self.source = source
        self.sinks = sinks
        self.policy = AlertPolicy(alerts or AlertConfig(), model.spec.output.threshold)
        self.metrics = LatencyMetrics(fps, budget_ms)
        self.frozen = FrozenDetector()
        setup = SessionSetup(source_label if source_label is not None else source.location,
                             source.is_live or source.realtime, f"{model.spec.model_name} v{model.spec.model_version}",
                             model.manifest, self.policy.threshold, self.policy.config, budget_ms)
        self.session = Session(session or new_session_id(), setup)
        self.annotator = Annotator((model.spec.input.width, model.spec.input.height))
        self.state: tuple[str, str] | None = None
        self.frame_errors = 0  # in a row
        self.frame_errors_total = 0
        self.frozen_frames = 0

    # --- events -------------------------------------------------------------
    def emit(self, kind: str, **fields: Any) -> dict:
        """Send one event (a name of event_types with its fields) to every sink; returns the event."""
        event = {"type": kind, "t": time.time(), "session": self.session.session, "schema": EVENTS_SCHEMA,
                 **fields}
        self.sinks.emit(event)
        if kind in event_types.ALERT_EVENTS:
            self.session.alert_events.append(event)
        elif kind in event_types.REVIEW_EVENTS:
            self.session.other_events.append(event)
        return event

    def set_state(self, state: str, reason: str = "") -> None:
        """One event per change of state: retries of a lost source (whose reasons vary from attempt
        to attempt) stay one `paused` until a frame comes back."""
        if self.state is not None and self.state[0] == state == "paused":
            return
        if (state, reason) != self.state:
            self.state = (state, reason)
            self.emit(event_types.STATE, state=state, reason=reason)

    # --- the loop -----------------------------------------------------------
    def run(self, max_frames: int | None = None, stop: threading.Event | None = None) -> Session:
        """Score frames until the source ends or fails, `max_frames` are done, or `stop` is set (a
        signal): every way out closes the session the same way (state stopped, session_end)."""
        stop = stop or threading.Event()
        mailbox = Mailbox()
        wait = not self.source.is_live and not self.source.realtime
        capture = Capture(self.source, mailbox, wait_for_consumer=wait).start()
        self.emit(event_types.SESSION_START, source=self.source.describe(), model=self.model.describe(),
                  threshold=self.policy.threshold, alerts=self.policy.describe(),
                  budget={"fps": self.metrics.fps, "ms": self.metrics.budget_ms})
        self.set_state("running")
        next_beat = next_latency = time.monotonic()
        last_frame_at = time.monotonic()
        try:
            while True:
                if stop.is_set():
                    self.session.end_reason = getattr(stop, "reason", "") or "stopped"
                    break
                now = time.monotonic()
                if now >= next_beat:
                    self.metrics.dropped = mailbox.dropped
                    self.emit(event_types.HEARTBEAT, frames=self.metrics.frames, dropped=mailbox.dropped,
                              state=self.state[0] if self.state else None)
                    next_beat = now + HEARTBEAT_S
                if now >= next_latency + LATENCY_EVERY_S:
                    self.emit(event_types.LATENCY, **self.metrics.summary())
                    next_latency = now
                item = mailbox.get(timeout=max(0.01, min(0.25, next_beat - now)))
                if item is None:
                    if self.source.is_live and time.monotonic() - last_frame_at > STALL_S:
                        self.set_state("paused", "no frames from the source")
                    continue
                if isinstance(item, Notice):
                    if item.kind == "stalled":
                        self.set_state("paused", item.reason)
                        continue
                    self.set_state("paused", item.reason)
                    if item.kind == "error":
                        self.session.error = item.reason
                    self.session.end_reason = item.reason
                    self._ended_early()
                    break
                last_frame_at = time.monotonic()
                self._process(item)
                if max_frames is not None and self.metrics.frames >= max_frames:
                    self.session.end_reason = "max frames"
                    break
        finally:
            capture.close()
            self.metrics.dropped = mailbox.dropped
            self._finish()
        return self.session

    def _process(self, frame: Frame) -> None:
        try:
            scored = self.model.score_frame(frame.image)
        except CleftEdgeError as exc:  # a frame the model cannot take: say so, keep going
            self._frame_error(frame, exc.line())
            return
        except Exception as exc:  # the engine raised: the session goes on with the next frame
            self._frame_error(frame, f"inference failed: {type(exc).__name__}: {exc}")
            return
        self.frame_errors = 0
        score = scored.score
        frozen = self.frozen.update(frame.image)
        self.frozen_frames += frozen
        flagged = self.policy.flag(score)  # decided once: the score event, the review and the votes take it
        transitions = self.policy.update(frame.index, frame.t_capture, score, frozen, flagged)
        self.set_state("frozen" if frozen else "running", "image frozen" if frozen else "")
        decided = time.monotonic()
        self.emit(event_types.SCORE, frame=frame.index, t_capture=frame.t_capture, score=round(score, 5),
                  flagged=flagged, frozen=frozen)
        self.session.trace.add(frame.index, score, frame.truth, time.time())
        for kind, alert in transitions:
            if kind == "raised":
                self.emit(event_types.ALERT_RAISED, alert_id=alert.alert_id, frame=frame.index,
                          t_capture=frame.t_capture, score=round(score, 5))
            else:
                self.emit(event_types.ALERT_CLEARED, alert_id=alert.alert_id, frame=frame.index,
                          t_capture=frame.t_capture, start_frame=alert.start_frame, end_frame=alert.end_frame,
                          peak_score=round(alert.peak_score, 5), best_frame=alert.best_frame)
        self._frames_out(frame, scored, flagged)
        self.metrics.record(scored.clock, decided, frame.t_capture)

    def _frames_out(self, frame: Frame, scored: Scored, flagged: bool) -> None:
        """The annotated frame to the sinks that want frames, and to the review when it is worth keeping."""
        score, heat = scored.score, scored.heatmap
        alert_id = self.policy.active.alert_id if self.policy.active else None
        keep = flagged and self.session.best.worth_keeping(alert_id, score)
        if not (self.sinks.wants_frames or keep):
            return
        layers = self._layers(frame, scored)
        image = self.annotator.compose(layers, score, self.policy.threshold, self.policy.active is not None)
        self.sinks.frame(frame.index, image, scored.prediction, layers)
        if keep:
            self.session.best.keep(alert_id, frame.index, score, image, heat, layers)

    def _layers(self, frame: Frame, scored: Scored) -> FrameLayers:
        """The frame taken apart with the geometry and sector it was scored with (its own, not the last)."""
        return self.annotator.layers(frame.image, scored.score, self.policy.threshold, scored.heatmap,
                                     scored.geometry, scored.sector)

    def _frame_error(self, frame: Frame, reason: str) -> None:
        self.frame_errors += 1
        self.frame_errors_total += 1
        self.emit(event_types.FRAME_ERROR, frame=frame.index, t_capture=frame.t_capture, reason=reason)
        if self.frame_errors >= 3:  # not one odd frame: the AI is not working
            self.set_state("paused", reason)

    def _ended_early(self) -> None:
        """A file that ends before the frames its container announces (a truncated recording) says so."""
        early = getattr(self.source, "ended_early", lambda: None)()
        if early:
            self.session.ended_early = early
            self.emit(event_types.SOURCE_ENDED_EARLY, **early)

    def _finish(self) -> None:
        self.session.flagged = self.session.best.frames()
        self.session.fps = self.source.fps or self.metrics.fps
        self.session.latency_ms = self.metrics.samples("end_to_end")
        self.session.summary = session_summary(self.session.session, self.source.describe(), self.model.describe(),
                                               self.policy, self.metrics, self.frame_errors_total,
                                               self.frozen_frames, self.session.error)
        self.session.summary["end_reason"] = self.session.end_reason or "stopped"
        self.session.summary["source_ended_early"] = self.session.ended_early
        self.set_state("stopped", "session ended")
        self.emit(event_types.SESSION_END, summary=self.session.summary)
        self.sinks.close()
