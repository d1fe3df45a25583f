import time

import numpy as np
from stream_helpers import FlakyLiveSource, HangingBackend, ListSink, model_with

from cleftedge.runtime.events import Sinks
from cleftedge.runtime.model import Model
from cleftedge.runtime.stream import Pipeline


def test_lost_live_source_pauses_retries_and_resumes_with_heartbeats(ref_onnx):
    source = FlakyLiveSource(frames=45, lose_at=15, failures=2)
    sink = ListSink()
    session = Pipeline(Model.open(ref_onnx, steady=True), source, Sinks([sink])).run()
    states = [(e["state"], e["reason"]) for e in sink.of("state")]
    paused = states.index(("paused", "no signal on the capture card"))
    assert ("running", "") in states[paused + 1:], states  # back after the retry
    assert source.reopens == 2  # retried once per failure, with backoff in between
    assert session.summary["frames"] >= 40
    beats = [e["t"] for e in sink.of("heartbeat")]
    assert len(beats) >= 3 and max(np.diff(beats)) < 1.5  # no silence while waiting for the source


def test_heartbeats_stop_while_the_runtime_is_hung(ref_onnx):
    HangingBackend.calls = 0
    sink = ListSink()
    Pipeline(model_with(HangingBackend, ref_onnx), FlakyLiveSource(frames=150, failures=0), Sinks([sink])).run()
    beats = np.array([e["t"] for e in sink.of("heartbeat")])
    gaps = np.diff(beats)
    assert gaps.max() >= 2.0  # the hang shows as silence, so a consumer can tell it from a quiet scan
    assert np.sum(gaps < 1.5) >= 1  # and beats came every second before or after it


def test_summary_counts_frozen_frames_and_frozen_frames_do_not_alert(ref_onnx):
    from cleftedge.runtime.sources.base import Source
    from cleftedge.simulator.sweep import iter_sweep

    frame = next(f.image for f in iter_sweep(20, "bilateral", 8) if f.cleft)

    class Frozen(Source):  # the sonographer froze the screen on a cleft frame
        is_live = True

        def __init__(self):
            super().__init__("frozen://")
            self.n = 0

        def _next(self):
            self.n += 1
            time.sleep(1 / 30)
            return None if self.n > 30 else (frame, None, None)

    sink = ListSink()
    session = Pipeline(Model.open(ref_onnx, steady=True), Frozen(), Sinks([sink])).run()
    assert ("frozen", "image frozen") in [(e["state"], e["reason"]) for e in sink.of("state")]
    assert session.summary["frozen_frames"] >= session.summary["frames"] - 3 >= 15
    assert not sink.of("alert_raised")  # only the first frames vote: fewer than k
