"""The streaming pipeline: capture thread -> latest frame -> preprocess -> inference -> decision ->
events, with per-stage latency and a fail-safe that never goes silent.

Heartbeats come from the processing loop itself (also while it waits for frames), so a hung or
crashed runtime stops them and whoever reads the events can tell it from a quiet one."""

from __future__ import annotations

import threading
import time
from collections import deque

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
from cleftedge.runtime.annotate import Annotator, FrameLayers
from cleftedge.runtime.best_frames import BestFrame, BestFrames
from cleftedge.runtime.capture import Capture, Mailbox, Notice
from cleftedge.runtime.events import EVENTS_SCHEMA, Sinks, new_session_id
from cleftedge.runtime.frozen import FrozenDetector
from cleftedge.runtime.metrics import LatencyMetrics
from cleftedge.runtime.sources.base import Frame, Source
from cleftedge.runtime.summary import session_summary
from cleftedge.runtime.trace import ScoreTrace

HEARTBEAT_S = 1.0
STALL_S = 2.0  # a live source silent this long pauses the AI
LATENCY_EVERY_S = 10.0
KEEP_PER_ALERT = 3
KEEP_EVENTS = 2000  # state and frame-error events remembered for the review (alerts are always kept)


class Session:
    """What a finished run leaves: the summary, the score trace, the alerts and states, and the best
    flagged frames per alert (annotated JPEG + heat map) for the session review."""

    def __init__(self, session: str, metrics: LatencyMetrics):
        self.session = session
        self.metrics = metrics
        self.summary: dict = {}
        self.trace = ScoreTrace()  # iterates as (frame, score)
        self.best = BestFrames(KEEP_PER_ALERT)
        self.flagged: list[BestFrame] = []  # filled at the end: self.best.frames()
        self.alert_events: list[dict] = []
        self.other_events: deque[dict] = deque(maxlen=KEEP_EVENTS)
        self.error: str | None = None  # why the source failed, when it did (not a normal end)
        self.end_reason = ""  # why the session ended: "source ended", "stopped by SIGTERM", "max frames"...
        self.ended_early: dict | None = None  # a file that ended before the frames its container announced

    @property
    def events(self) -> list[dict]:
        """Alerts, states and frame errors in time order (no scores, heartbeats or latency)."""
        return sorted([*self.alert_events, *self.other_events], key=lambda e: e["t"])

    @property
    def truth(self) -> list[tuple[int, bool, bool]]:
        return self.trace.truth


class Pipeline:
    def __init__(self, model, source: Source, sinks: Sinks, alerts: AlertConfig | None = None,
                 fps: float = 30.0, budget_ms: float = 50.0, session: str | None = None,
                 ):
        self.model = model
        self.source = source
        self.sinks = sinks
        self.policy = AlertPolicy(alerts or AlertConfig(), model.spec.output.threshold)
        self.metrics = LatencyMetrics(fps, budget_ms)
        self.frozen = FrozenDetector()
        self.session = Session(session or new_session_id(), self.metrics)
        self.annotator = Annotator((model.spec.input.width, model.spec.input.height))
        self.state = None
        self.frame_errors = 0  # in a row
        self.frame_errors_total = 0
        self.frozen_frames = 0

    # --- events -------------------------------------------------------------
    def emit(self, kind: str, **fields) -> dict:
        event = {"type": kind, "t": time.time(), "session": self.session.session, "schema": EVENTS_SCHEMA,
                 **fields}
        self.sinks.emit(event)
        if kind.startswith("alert"):
            self.session.alert_events.append(event)
        elif kind in ("state", "frame_error"):
            self.session.other_events.append(event)
        return event

    def set_state(self, state: str, reason: str = "") -> None:
        """One event per change of state: retries of a lost source (whose reasons vary from attempt
        to attempt) stay one `paused` until a frame comes back."""
        if self.state is not None and self.state[0] == state == "paused":
            return
        if (state, reason) != self.state:
            self.state = (state, reason)
            self.emit("state", state=state, reason=reason)

    # --- the loop -----------------------------------------------------------
    def run(self, max_frames: int | None = None, stop: threading.Event | None = None) -> Session:
        """Score frames until the source ends or fails, `max_frames` are done, or `stop` is set (a
        signal): every way out closes the session the same way (state stopped, session_end)."""
        stop = stop or threading.Event()
        mailbox = Mailbox()
        wait = not self.source.is_live and not self.source.realtime
        capture = Capture(self.source, mailbox, wait_for_consumer=wait).start()
        self.emit("session_start", source=self.source.describe(), model=self.model.describe(),
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
                    self.emit("heartbeat", frames=self.metrics.frames, dropped=mailbox.dropped, state=self.state[0])
                    next_beat = now + HEARTBEAT_S
                if now >= next_latency + LATENCY_EVERY_S:
                    self.emit("latency", **self.metrics.summary())
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
        t_pick = time.monotonic()
        try:
            x = self.model.preprocessor(frame.image)
            t_pre = time.monotonic()
            pred = self.model.predict_tensors(x[None])
            t_inf = time.monotonic()
        except CleftEdgeError as exc:  # a frame the model cannot take: say so, keep going
            self._frame_error(frame, exc.line())
            return
        except Exception as exc:  # the engine raised: the session goes on with the next frame
            self._frame_error(frame, f"inference failed: {type(exc).__name__}: {exc}")
            return
        self.frame_errors = 0
        score = float(pred.scores[0])
        frozen = self.frozen.update(frame.image)
        self.frozen_frames += frozen
        transitions = self.policy.update(frame.index, frame.t_capture, score, frozen)
        self.set_state("frozen" if frozen else "running", "image frozen" if frozen else "")
        t_dec = time.monotonic()
        flagged = self.policy.flag(score)
        self.emit("score", frame=frame.index, t_capture=frame.t_capture, score=round(score, 5), flagged=flagged,
                  frozen=frozen)
        self.session.trace.add(frame.index, score, frame.truth, time.time())
        for kind, alert in transitions:
            if kind == "raised":
                self.emit("alert_raised", alert_id=alert.alert_id, frame=frame.index, t_capture=frame.t_capture,
                          score=round(score, 5))
            else:
                self.emit("alert_cleared", alert_id=alert.alert_id, frame=frame.index, t_capture=frame.t_capture,
                          start_frame=alert.start_frame, end_frame=alert.end_frame,
                          peak_score=round(alert.peak_score, 5), best_frame=alert.best_frame)
        heat = pred.heatmaps[0] if pred.heatmaps is not None else None
        alert_id = self.policy.active.alert_id if self.policy.active else None
        keep = flagged and self.session.best.worth_keeping(alert_id, score)
        if self.sinks.wants_frames or keep:
            layers = self._layers(frame, score, heat)
            image = self.annotator.compose(layers, score, self.policy.threshold, self.policy.active is not None)
            self.sinks.frame(frame.index, image, pred, layers)
            if keep:
                self.session.best.keep(alert_id, frame.index, score, image, heat, layers)
        self.metrics.add((t_pick - frame.t_capture) * 1e3, (t_pre - t_pick) * 1e3, (t_inf - t_pre) * 1e3,
                         (t_dec - t_inf) * 1e3, (t_dec - frame.t_capture) * 1e3)

    def _layers(self, frame: Frame, score: float, heat) -> FrameLayers:
        pre = self.model.preprocessor
        sector = pre.detector.current if pre.detector is not None else None
        return self.annotator.layers(frame.image, score, self.policy.threshold, heat, pre.last_geometry, sector)

    def _frame_error(self, frame: Frame, reason: str) -> None:
        self.frame_errors += 1
        self.frame_errors_total += 1
        self.emit("frame_error", frame=frame.index, t_capture=frame.t_capture, reason=reason)
        if self.frame_errors >= 3:  # not one odd frame: the AI is not working
            self.set_state("paused", reason)

    def _ended_early(self) -> None:
        """A file that ends before the frames its container announces (a truncated recording) says so."""
        early = getattr(self.source, "ended_early", lambda: None)()
        if early:
            self.session.ended_early = early
            self.emit("source_ended_early", **early)

    def _finish(self) -> None:
        self.session.flagged = self.session.best.frames()
        self.session.summary = session_summary(self.session.session, self.source.describe(), self.model.describe(),
                                               self.policy, self.metrics, self.frame_errors_total,
                                               self.frozen_frames, self.session.error)
        self.session.summary["end_reason"] = self.session.end_reason or "stopped"
        self.session.summary["source_ended_early"] = self.session.ended_early
        self.set_state("stopped", "session ended")
        self.emit("session_end", summary=self.session.summary)
        self.sinks.close()
