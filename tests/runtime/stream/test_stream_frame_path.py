"""The frame path is one straight line of calls: Model.score_frames gives each frame's prediction with
its own geometry and sector and the request's stage clock, and `run` and `bench` both time their
stages through it (and LatencyMetrics.record), so the two cannot drift apart."""

import json

import cv2
import numpy as np
import pytest

from cleftedge.cli import main
from cleftedge.runtime.events import Sink, Sinks
from cleftedge.runtime.metrics import LatencyMetrics
from cleftedge.runtime.model import Model
from cleftedge.runtime.sector import find_sector, sector_mask
from cleftedge.runtime.sources.base import Source
from cleftedge.runtime.stream import Pipeline

SHIFTS = (-70, 70)  # the fan jumps sideways between frames (a probe change on a still-mode model)


def fan_frame(seed: int, shift: int, h: int = 240, w: int = 320) -> np.ndarray:
    """A fan of speckle on black with a burned-in label outside it, moved `shift` pixels sideways."""
    rng = np.random.default_rng(seed)
    fan = np.zeros((h, w), np.uint8)
    cv2.ellipse(fan, (w // 2 + shift, 20), (200, 200), 0, 55, 125, 255, -1)
    img = np.where(fan > 0, rng.rayleigh(40, (h, w)).clip(10, 255), 0).astype(np.uint8)
    cv2.putText(img, "PATIENT NAME", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1)
    return img


class MovingFan(Source):
    """A file-like source whose sector jumps between two places from one frame to the next."""

    def __init__(self, frames: int = 12):
        super().__init__("moving-fan")
        self.fps = 30.0
        self.images = [fan_frame(i, SHIFTS[i % 2]) for i in range(frames)]

    def _next(self):
        return (self.images[self._index], None, None) if self._index < len(self.images) else None


class LayerSink(Sink):
    """Takes the frames apart as the live page does (masked image + heat map)."""

    wants_frames = True

    def __init__(self):
        self.layers = {}

    def frame_layers(self, index, layers):
        self.layers[index] = layers


def test_each_scored_frame_carries_the_geometry_and_sector_it_was_cut_with(ref_onnx):
    model = Model.open(ref_onnx)  # stills: the sector is found in each frame on its own
    frames = [fan_frame(0, SHIFTS[0]), fan_frame(1, SHIFTS[1])]
    scored = model.score_frames(frames)
    assert scored.prediction.scores.shape == (2,) and len(scored.inputs) == 2
    boxes = [p.sector.box for p in scored.inputs]
    assert boxes == [find_sector(f).box for f in frames] and boxes[0] != boxes[1]
    assert [p.geometry.roi for p in scored.inputs] == boxes
    one = model.score_frame(frames[1])
    assert one.sector.box == boxes[1] and one.geometry == scored.inputs[1].geometry
    np.testing.assert_allclose(one.score, scored.prediction.scores[1], atol=1e-5)
    c = one.clock
    assert c.started <= c.preprocessed <= c.inferred
    model.close()


def test_the_mask_of_each_frame_shown_is_that_frames_own_sector(ref_onnx):
    """Were a frame annotated with the previous frame's sector (state left behind by the last call),
    part of its fan would be blacked out and part of the last fan let through: both are checked."""
    sink = LayerSink()
    source = MovingFan()
    session = Pipeline(Model.open(ref_onnx), source, Sinks([sink])).run()
    assert session.summary["frames"] == len(source.images) == len(sink.layers)
    for index, layers in sink.layers.items():
        image = source.images[index]
        own = sector_mask(image, find_sector(image))
        masked = layers.masked[:, :, 0]
        assert not masked[own == 0].any(), f"frame {index}: something outside its own fan is shown"
        assert np.array_equal(masked[own > 0], image[own > 0]), f"frame {index}: part of its own fan is hidden"


class Spy:
    """Counts the calls of a method and keeps what it was given, then calls it."""

    def __init__(self, monkeypatch, owner, name):
        self.calls = []
        real = getattr(owner, name)

        def spy(this, *args, **kwargs):
            self.calls.append(args)
            return real(this, *args, **kwargs)

        monkeypatch.setattr(owner, name, spy)


def test_run_and_bench_time_their_stages_through_the_same_calls(ref_onnx, tmp_path, monkeypatch):
    scoring = Spy(monkeypatch, Model, "score_frames")
    recording = Spy(monkeypatch, LatencyMetrics, "record")
    assert main(["bench", "--model", str(ref_onnx), "--frames", "9", "--warmup", "2", "--json",
                 "--budget-ms", "60000"]) == 0
    assert len(scoring.calls) == 11 and len(recording.calls) == 9  # warm-up requests are scored, not timed
    bench_clocks = [args[0] for args in recording.calls]
    summary = tmp_path / "s.json"
    scoring.calls.clear()
    recording.calls.clear()
    assert main(["run", "--model", str(ref_onnx), "--source", "sim:none?seed=2&seconds=0.5&fps=30", "--quiet",
                 "--summary", str(summary)]) == 0
    run = json.loads(summary.read_text())
    assert len(scoring.calls) == len(recording.calls) == run["frames"] > 0  # a live source may drop frames
    run_clocks = [args[0] for args in recording.calls]
    for clocks, stages in ((bench_clocks, None), (run_clocks, run["stages"])):
        pre = [(c.preprocessed - c.started) * 1e3 for c in clocks]
        inf = [(c.inferred - c.preprocessed) * 1e3 for c in clocks]
        assert min(pre) > 0 and min(inf) > 0
        if stages is not None:  # what the summary says is what the clocks measured
            assert stages["preprocess"]["max"] == pytest.approx(max(pre))
            assert stages["inference"]["max"] == pytest.approx(max(inf))
            assert stages["capture"]["count"] == run["frames"]


def test_bench_reports_the_stages_its_clocks_measured(ref_onnx, capsys, monkeypatch):
    recording = Spy(monkeypatch, LatencyMetrics, "record")
    assert main(["bench", "--model", str(ref_onnx), "--frames", "6", "--warmup", "1", "--json",
                 "--budget-ms", "60000"]) == 0
    out = json.loads(capsys.readouterr().out)
    clocks = [args[0] for args in recording.calls]
    assert out["stages"]["preprocess"]["max"] == pytest.approx(max((c.preprocessed - c.started) * 1e3
                                                                   for c in clocks))
    assert out["stages"]["inference"]["count"] == 6 and out["stages"]["capture"] == {"count": 0}
