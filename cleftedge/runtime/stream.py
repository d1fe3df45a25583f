"""The streaming pipeline: capture thread -> latest frame -> preprocess -> inference -> decision ->
events, with per-stage latency and a fail-safe that never goes silent.

Heartbeats come from the processing loop itself (also while it waits for frames), so a hung or
crashed runtime stops them and whoever reads the events can tell it from a quiet one."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
from cleftedge.runtime.annotate import Annotator
from cleftedge.runtime.capture import Capture, Mailbox, Notice
from cleftedge.runtime.events import Sinks, new_session_id
from cleftedge.runtime.frozen import FrozenDetector
from cleftedge.runtime.metrics import LatencyMetrics
from cleftedge.runtime.review.session_report import FlaggedFrame
from cleftedge.runtime.sources.base import Frame, Source

HEARTBEAT_S = 1.0
STALL_S = 2.0  # a live source silent this long pauses the AI
LATENCY_EVERY_S = 10.0
KEEP_FLAGGED = 8


@dataclass
class Session:
    session: str
    summary: dict = field(default_factory=dict)
    trace: list[tuple[int, float]] = field(default_factory=list)  # (frame, score)
    flagged: list[FlaggedFrame] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # alerts and states (small)
    truth: list[tuple[int, bool, bool]] = field(default_factory=list)  # (frame, in_plane, cleft) where known
    error: str | None = None  # why the source failed, when it did (not a normal end)
    metrics: LatencyMetrics | None = None


class Pipeline:
    def __init__(self, model, source: Source, sinks: Sinks, alerts: AlertConfig | None = None,
                 fps: float = 30.0, budget_ms: float = 50.0, session: str | None = None,
                 keep_flagged: int = KEEP_FLAGGED):
        self.model = model
        self.source = source
        self.sinks = sinks
        self.policy = AlertPolicy(alerts or AlertConfig(), model.spec.output.threshold)
        self.metrics = LatencyMetrics(fps, budget_ms)
        self.frozen = FrozenDetector()
        self.session = Session(session or new_session_id(), metrics=self.metrics)
        self.annotator = Annotator((model.spec.input.width, model.spec.input.height))
        self.keep_flagged = keep_flagged
        self._best: list[tuple[float, int, FlaggedFrame]] = []  # min-heap of the top flagged frames
        self.state = None
        self.frame_errors = 0

    # --- events -------------------------------------------------------------
    def emit(self, kind: str, **fields) -> dict:
        event = {"type": kind, "t": time.time(), "session": self.session.session, **fields}
        self.sinks.emit(event)
        if kind not in ("score", "heartbeat", "latency"):
            self.session.events.append(event)
        return event

    def set_state(self, state: str, reason: str = "") -> None:
        if (state, reason) != self.state:
            self.state = (state, reason)
            self.emit("state", state=state, reason=reason)

    # --- the loop -----------------------------------------------------------
    def run(self, max_frames: int | None = None) -> Session:
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
                    break
                last_frame_at = time.monotonic()
                self._process(item)
                if max_frames is not None and self.metrics.frames >= max_frames:
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
        transitions = self.policy.update(frame.index, frame.t_capture, score, frozen)
        self.set_state("frozen" if frozen else "running", "image frozen" if frozen else "")
        t_dec = time.monotonic()
        flagged = self.policy.flag(score)
        self.emit("score", frame=frame.index, t_capture=frame.t_capture, score=round(score, 5), flagged=flagged,
                  frozen=frozen)
        self.session.trace.append((frame.index, score))
        if isinstance(frame.truth, dict):
            self.session.truth.append((frame.index, bool(frame.truth.get("in_plane")), bool(frame.truth.get("cleft"))))
        for kind, alert in transitions:
            if kind == "raised":
                self.emit("alert_raised", alert_id=alert.alert_id, frame=frame.index, score=round(score, 5))
            else:
                self.emit("alert_cleared", alert_id=alert.alert_id, start_frame=alert.start_frame,
                          end_frame=alert.end_frame, peak_score=round(alert.peak_score, 5), best_frame=alert.best_frame)
        heat = pred.heatmaps[0] if pred.heatmaps is not None else None
        if self.sinks.wants_frames or (flagged and self._worth_keeping(score)):
            image = self._annotate(frame, score, heat)
            self.sinks.frame(frame.index, image, pred)
            if flagged and self._worth_keeping(score):
                self._keep(frame.index, score, image)
        self.metrics.add((t_pick - frame.t_capture) * 1e3, (t_pre - t_pick) * 1e3, (t_inf - t_pre) * 1e3,
                         (t_dec - t_inf) * 1e3, (t_dec - frame.t_capture) * 1e3)

    def _annotate(self, frame: Frame, score: float, heat) -> np.ndarray:
        pre = self.model.preprocessor
        sector = pre.detector.current if pre.detector is not None else None
        return self.annotator(frame.image, score, self.policy.threshold, self.policy.active is not None, heat,
                              pre.last_geometry, sector)

    def _worth_keeping(self, score: float) -> bool:
        return len(self._best) < self.keep_flagged or score > self._best[0][0]

    def _keep(self, index: int, score: float, image: np.ndarray) -> None:
        ok, jpg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            return
        active = self.policy.active.alert_id if self.policy.active else None
        item = (score, index, FlaggedFrame(index, score, jpg.tobytes(), active))
        if len(self._best) < self.keep_flagged:
            heapq.heappush(self._best, item)
        else:
            heapq.heapreplace(self._best, item)

    def _frame_error(self, frame: Frame, reason: str) -> None:
        self.frame_errors += 1
        self.emit("frame_error", frame=frame.index, reason=reason)
        if self.frame_errors >= 3:  # not one odd frame: the AI is not working
            self.set_state("paused", reason)

    def _finish(self) -> None:
        if self.policy.active is not None:  # an alert still up when the scan ends is reported as such
            self.session.events.append({"type": "alert_open_at_end", "alert_id": self.policy.active.alert_id})
        alerts = [{"alert_id": a.alert_id, "start_frame": a.start_frame, "end_frame": a.end_frame,
                   "peak_score": a.peak_score, "best_frame": a.best_frame} for a in self.policy.alerts]
        self.session.flagged = [f for _, _, f in sorted(self._best, key=lambda x: x[1])]
        self.session.summary = {"session": self.session.session, "source": self.source.describe(),
                                "model": self.model.describe(), "alerts": alerts, **self.metrics.summary(),
                                "frame_errors": sum(1 for e in self.session.events if e["type"] == "frame_error")}
        self.set_state("stopped", "session ended")
        self.emit("session_end", summary=self.session.summary)
        self.sinks.close()
