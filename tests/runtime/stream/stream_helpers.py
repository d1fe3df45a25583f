import time

import numpy as np

from cleftedge.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend
from cleftedge.runtime.events import Sink
from cleftedge.runtime.model import Model
from cleftedge.runtime.sources.base import Source, SourceLost


class SlowBackend(OnnxRuntimeBackend):
    """A real engine made deliberately slow: to check that frames are dropped, never queued."""

    delay = 0.1

    def _infer_impl(self, batch):
        time.sleep(self.delay)
        return super()._infer_impl(batch)


class FlakyBackend(OnnxRuntimeBackend):
    """Raises on chosen calls, as an engine can on a bad frame."""

    fail_on = {5}
    calls = 0

    def _infer_impl(self, batch):
        type(self).calls += 1
        if type(self).calls in self.fail_on:
            raise RuntimeError("engine fault")
        return super()._infer_impl(batch)


class ListSink(Sink):
    def __init__(self):
        self.events = []

    def emit(self, event):
        self.events.append(event)

    def of(self, kind):
        return [e for e in self.events if e["type"] == kind]


def model_with(backend_cls, path):
    return Model(backend_cls(path), steady=True)


class HangingBackend(OnnxRuntimeBackend):
    """An engine that hangs once (a stuck driver call) for `hang_s`."""

    hang_on = 10
    hang_s = 2.5
    calls = 0

    def _infer_impl(self, batch):
        type(self).calls += 1
        if type(self).calls == self.hang_on:
            time.sleep(self.hang_s)
        return super()._infer_impl(batch)


class FlakyLiveSource(Source):
    """A live source (a capture card) that loses its signal once and comes back after reopen."""

    is_live = True
    name = "flaky-live"

    def __init__(self, frames: int = 60, lose_at: int = 20, failures: int = 2):
        super().__init__("flaky://card")
        self.fps = 30.0
        self.frames, self.lose_at, self.failures = frames, lose_at, failures
        self.reopens = 0
        self._n = 0
        self._rng = np.random.default_rng(0)

    def _next(self):
        if self._n == self.lose_at and self.failures > 0:
            self.failures -= 1
            raise SourceLost("no signal on the capture card")
        if self._n >= self.frames:
            return None
        self._n += 1
        time.sleep(1 / self.fps)
        return self._rng.integers(0, 255, (240, 320), dtype=np.uint8), None, None

    def reopen(self):
        self.reopens += 1
