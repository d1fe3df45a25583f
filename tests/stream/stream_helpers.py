import time

from cleftedge.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend
from cleftedge.runtime.events import Sink
from cleftedge.runtime.model import Model


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
