"""ImageNet evaluation-style preprocessing (shorter side to S, centre crop) and the interpolation
choice, checked against the same steps written out with OpenCV as third-party classifiers do them."""

import cv2
import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.preprocess import Preprocessor
from cleftedge.spec import ModelSpec

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def spec(**over):
    inp = {"name": "x", "channels": 3, "color": "BGR", "height": 224, "width": 224, "resize": "short_side_crop",
           "resize_short": 256, "interpolation": "lanczos", "mean": MEAN, "std": STD, **over}
    return ModelSpec.from_dict({"input": inp, "output": {"name": "p"}})


def by_hand(img, short=256, size=224, interp=cv2.INTER_LANCZOS4):
    h, w = img.shape[:2]
    f = short / min(h, w)
    img = cv2.resize(img, (int(round(w * f)), int(round(h * f))), interpolation=interp)
    h, w = img.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    img = img[y:y + size, x:x + size].astype(np.float32) / 255
    return ((img - np.float32(MEAN)) / np.float32(STD)).transpose(2, 0, 1)


@pytest.mark.parametrize("shape", [(300, 500), (640, 480), (256, 256)])
def test_short_side_crop_matches_the_imagenet_evaluation_steps(shape):
    img = np.random.default_rng(1).integers(0, 256, (*shape, 3), dtype=np.uint8)
    pre = Preprocessor(spec().input)
    prepared = pre.prepare(img)
    got = prepared.tensor
    assert got.shape == (3, 224, 224)
    np.testing.assert_allclose(got, by_hand(img), atol=1e-5)
    np.testing.assert_array_equal(pre(img), got)  # the tensor alone is the same tensor
    # the crop's origin maps back into the frame where the crop started
    x, y = prepared.geometry.input_to_frame(0, 0)
    assert 0 <= x < shape[1] and 0 <= y < shape[0]


def test_interpolation_is_applied_as_named():
    img = np.random.default_rng(2).integers(0, 256, (300, 500, 3), dtype=np.uint8)
    outs = {name: Preprocessor(spec(interpolation=name).input)(img) for name in ("linear", "area", "cubic", "lanczos")}
    np.testing.assert_allclose(outs["cubic"], by_hand(img, interp=cv2.INTER_CUBIC), atol=1e-5)
    assert not np.allclose(outs["linear"], outs["lanczos"])


def test_resize_short_defaults_to_the_crop_and_is_refused_elsewhere():
    assert spec(resize_short=0).input.resize_short == 0
    with pytest.raises(CleftEdgeError, match="resize_short"):
        spec(resize="stretch")
    with pytest.raises(CleftEdgeError, match="resize_short"):
        spec(resize_short=100)  # smaller than the crop
    with pytest.raises(CleftEdgeError, match="interpolation"):
        spec(interpolation="nearest-ish")
