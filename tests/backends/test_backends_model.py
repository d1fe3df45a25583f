"""Model: frames in, one cleft score per frame out (preprocessing + backend + scoring)."""

import numpy as np
import pytest
from conftest import make_onnx, make_spec

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
    path = make_onnx(tmp_path / "m.onnx", make_spec(channels=3), channels=3, seed=3)
    frames = [np.random.default_rng(i).integers(0, 256, (100, 130, 3), dtype=np.uint8) for i in range(5)]
    with Model.open(path) as ort, Model.open(path, backend="openvino", true_fp32=True, cache_dir="") as ov:
        a, b = ort.predict(frames).scores, ov.predict(frames).scores
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_single_frame_tensors_and_heatmaps(tmp_path):
    spec = make_spec(heatmap="cam")
    path = make_onnx(tmp_path / "cam.onnx", spec, heatmap="cam")
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
        assert m.preprocessor.spec == spec.input


def test_bundle_like_path_without_the_bundle_package(tmp_path):
    import importlib.util

    if importlib.util.find_spec("cleftedge.runtime.bundle") is not None:
        pytest.skip("the bundle package is installed: its own tests cover bundle paths")
    folder = tmp_path / "bundle"
    folder.mkdir()
    with pytest.raises(CleftEdgeError, match="looks like a bundle"):
        Model.open(folder)
