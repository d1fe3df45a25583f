"""Model: frames in, one cleft score per frame out (preprocessing + backend + scoring)."""

import sys

import numpy as np
import pytest
from backends_helpers import TinyGraph, make_onnx, make_spec

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.model import Model


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_bright_frames_score_high_dark_frames_low(tmp_path, backend):
    # the tiny model adds 4 * mean(input) to the cleft logit: brightness drives the score
    path = make_onnx(tmp_path / "m.onnx", make_spec())
    dark, bright = np.zeros((120, 160), np.uint8), np.full((90, 200, 3), 255, np.uint8)
    options = {"true_fp32": True, "cache_dir": ""} if backend == "openvino" else {}
    with Model.open(path, backend=backend, **options) as m:
        p = m.predict([dark, bright, dark])
    assert p.scores.shape == (3,) and p.scores.dtype == np.float64
    assert p.scores[1] > 0.9 and p.scores[0] < 0.2 and p.scores[0] == pytest.approx(p.scores[2])
    assert p.heatmaps is None and p.raw["logits"].shape == (3, 2)


def test_onnxruntime_and_openvino_give_the_same_scores(tmp_path):
    path = make_onnx(tmp_path / "m.onnx", make_spec(channels=3), TinyGraph(channels=3), seed=3)
    frames = [np.random.default_rng(i).integers(0, 256, (100, 130, 3), dtype=np.uint8) for i in range(5)]
    with Model.open(path) as ort, Model.open(path, backend="openvino", true_fp32=True, cache_dir="") as ov:
        a, b = ort.predict(frames).scores, ov.predict(frames).scores
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_single_frame_tensors_and_heatmaps(tmp_path):
    spec = make_spec(heatmap="cam")
    path = make_onnx(tmp_path / "cam.onnx", spec, TinyGraph(heatmap="cam"))
    frame = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    with Model.open(path) as m:
        one = m.predict(frame)  # a lone frame is a batch of one
        assert one.scores.shape == (1,) and one.heatmaps.shape == (1, 16, 16) and one.heatmaps.dtype == np.float32
        tensors = m.predict_tensors(m.preprocessor.batch([frame, frame]))
        np.testing.assert_allclose(tensors.scores, [one.scores[0]] * 2, rtol=1e-6)
        streamed = m.predict(f for f in (frame, frame, frame))  # any iterable of frames
        np.testing.assert_allclose(streamed.scores, [one.scores[0]] * 3, rtol=1e-6)
        d = m.describe()
        assert d["backend"] == "onnxruntime" and d["spec"]["model_name"] == "tiny" and d["bundle"] is False
        with pytest.raises(CleftEdgeError, match="no frames"):
            m.predict([])
        with pytest.raises(CleftEdgeError, match="frame of type float32"):
            m.predict([frame.astype(np.float32)])


def test_threshold_and_spec_come_from_the_model(tmp_path):
    spec = make_spec().replace_threshold(0.37)
    path = make_onnx(tmp_path / "m.onnx", spec)
    with Model.open(path) as m:
        assert m.spec == spec and m.spec.output.threshold == 0.37
        assert m.preprocessor.spec == spec.input and m.preprocessor.steady is False  # stills by default
    with Model.open(path, steady=True) as m:  # a live stream keeps its sector crop steady
        assert m.preprocessor.steady is True


def test_bundle_hook_follows_the_bundle_contract(tmp_path, monkeypatch):
    """Model.open hands bundle paths to cleftedge.runtime.bundle (is_bundle, open_verified) as
    docs/internals.md pins them; the package is another developer's, so a minimal stand-in that
    keeps that contract is installed here."""
    import types

    spec = make_spec()
    engine = make_onnx(tmp_path / "engine.onnx", None)  # the engine itself carries no spec: the manifest does
    folder = tmp_path / "b.bundle"
    folder.mkdir()
    calls = []

    def open_verified(path, trust_store=None, allow_unsigned=False):
        calls.append((path, trust_store, allow_unsigned))
        return engine, spec, {"backend": "onnxruntime", "name": "b"}

    stand_in = types.ModuleType("cleftedge.runtime.bundle")
    stand_in.is_bundle = lambda p: p == folder
    stand_in.open_verified = open_verified
    monkeypatch.setitem(sys.modules, "cleftedge.runtime.bundle", stand_in)

    with Model.open(folder, trust_store="keys/", allow_unsigned=True) as m:
        assert m.spec == spec and m.backend.name == "onnxruntime" and m.manifest["name"] == "b"
        assert m.describe()["bundle"] is True and m.predict([np.zeros((32, 32), np.uint8)]).scores.shape == (1,)
    assert calls == [(folder, "keys/", True)]
    with pytest.raises(CleftEdgeError, match="--spec given with the bundle"):
        Model.open(folder, spec=spec)
    plain = make_onnx(tmp_path / "plain.onnx", spec)
    with Model.open(plain) as m:  # not a bundle: opened as a model file
        assert m.manifest is None and len(calls) == 1
