import cv2
import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.preprocess import Preprocessor, check_frame, sector_mask
from cleftedge.spec import InputSpec


def fan_frame(seed=0, shift=(0, 0), h=480, w=640):
    """A fan of speckle on black, with overlay text and a ruler outside it."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    fan = np.zeros((h, w), np.uint8)
    cx, cy = w // 2 + shift[0], 40 + shift[1]
    cv2.ellipse(fan, (cx, cy), (400, 400), 0, 55, 125, 255, -1)
    speckle = rng.rayleigh(40, (h, w)).clip(10, 255).astype(np.uint8)
    img[fan > 0] = speckle[fan > 0, None]
    cv2.putText(img, "PATIENT NAME 2026-11-26", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    for y in range(80, 440, 40):
        cv2.line(img, (w - 20, y), (w - 8, y), (0, 255, 255), 2)
    return img, fan


def spec(**kw):
    base = dict(name="x", height=64, width=64, channels=1, color="GRAY", crop_sector=True)
    base.update(kw)
    return InputSpec(**base)


def test_sector_crop_excludes_overlays():
    img, fan = fan_frame()
    pre = Preprocessor(spec())
    x0, y0, x1, y1 = pre.prepare(img).geometry.roi
    ys, xs = np.nonzero(fan)
    assert x0 <= xs.min() + 6 and x1 >= xs.max() - 6
    assert y0 <= ys.min() + 6 and y1 >= ys.max() - 6
    assert y0 > 24 or x0 > 300  # the text line at the top left is outside
    assert x1 < 620  # the ruler at the right edge is outside


def test_crop_is_stable_over_speckle_and_survives_blank_frames():
    pre = Preprocessor(spec(), steady=True)
    boxes = set()
    for seed in range(10):
        roi = pre.prepare(fan_frame(seed)[0]).geometry.roi
        boxes.add(roi)
    assert len(boxes) == 1
    blank = pre.prepare(np.zeros((480, 640), np.uint8))
    assert np.isfinite(blank.tensor).all() and blank.geometry.roi == roi


def test_blank_frame_before_any_fan_uses_whole_frame():
    pre = Preprocessor(spec())
    out = pre.prepare(np.zeros((480, 640, 3), np.uint8))
    assert out.tensor.shape == (1, 64, 64) and out.geometry.roi == (0, 0, 640, 480)
    assert out.sector is None


def test_still_mode_crops_each_frame_on_its_own():
    pre = Preprocessor(spec())
    first = pre.prepare(fan_frame(0)[0]).geometry.roi
    assert pre.prepare(fan_frame(1, shift=(60, 0))[0]).geometry.roi[0] > first[0] + 40


def test_crop_follows_a_real_move_after_patience():
    pre = Preprocessor(spec(), steady=True)
    for seed in range(3):
        first = pre.prepare(fan_frame(seed)[0]).geometry.roi
    for seed in range(6):
        roi = pre.prepare(fan_frame(seed, shift=(60, 0) if seed == 3 else (0, 0))[0]).geometry.roi
    assert roi == first  # one odd frame does not move the crop
    for seed in range(20):
        roi = pre.prepare(fan_frame(seed, shift=(60, 0))[0]).geometry.roi
    assert roi[0] > first[0] + 40


def test_normalisation_and_colour_orders():
    frame = np.zeros((20, 30, 3), np.uint8)
    frame[:, :, 0] = 10  # blue
    frame[:, :, 2] = 200  # red
    s = InputSpec(name="x", height=10, width=10, channels=3, color="RGB", mean=(0.5, 0.5, 0.5),
                  std=(0.25, 0.25, 0.25))
    out = Preprocessor(s)(frame)
    assert out.shape == (3, 10, 10) and out.dtype == np.float32
    assert out[0, 0, 0] == pytest.approx((200 / 255 - 0.5) / 0.25, rel=1e-5)  # R first
    assert out[2, 0, 0] == pytest.approx((10 / 255 - 0.5) / 0.25, rel=1e-5)
    bgr = Preprocessor(InputSpec(name="x", height=10, width=10, channels=3, color="BGR"))(frame)
    assert bgr[0, 0, 0] == pytest.approx(10 / 255, rel=1e-5)
    grey = Preprocessor(InputSpec(name="x", height=10, width=10))(frame[:, :, 0])
    assert grey.shape == (1, 10, 10)


def test_letterbox_geometry_maps_points_both_ways():
    s = InputSpec(name="x", height=64, width=64, resize="letterbox", pad_value=0.0)
    pre = Preprocessor(s)
    prepared = pre.prepare(np.full((100, 200), 255, np.uint8))
    out, g = prepared.tensor, prepared.geometry
    assert g.pad_y == 16 and g.pad_x == 0
    assert out[0, 0, 0] == 0.0 and out[0, 32, 32] == pytest.approx(1.0)
    x, y = g.frame_to_input(100, 50)
    assert (x, y) == pytest.approx((32, 32))
    assert g.input_to_frame(x, y) == pytest.approx((100, 50))
    top = Preprocessor(InputSpec(name="x", height=64, width=64, resize="letterbox_topleft"))
    assert top.prepare(np.full((100, 200), 255, np.uint8)).geometry.pad_y == 0


def test_sector_mask_blacks_out_overlays():
    img, fan = fan_frame()
    mask = sector_mask(img)
    assert mask[24, 20] == 0 and mask[200, 630] == 0
    inside = fan > 0
    assert (mask[inside] == 255).mean() > 0.97


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.float32), np.zeros((10, 10, 4), np.uint8),
                                 np.zeros((4, 4), np.uint8), "frame"])
def test_bad_frames_are_user_errors(bad):
    with pytest.raises(CleftEdgeError):
        check_frame(bad)


def test_overlays_in_the_corners_of_the_crop_are_blanked():
    img, fan = fan_frame()
    img[90:100, 120:200] = 255  # a label inside the fan's box but outside the fan
    s = spec(height=480, width=640, resize="stretch", scale=1.0)
    pre = Preprocessor(s)
    prepared = pre.prepare(img)
    out, g = prepared.tensor, prepared.geometry
    x0, y0, _, _ = g.roi
    ix, iy = g.frame_to_input(160, 95)
    assert fan[95, 160] == 0
    assert out[0, int(iy), int(ix)] == 0.0


@pytest.mark.parametrize("seed,shift", [(0, (0, 0)), (3, (-90, 30)), (5, (120, -20))])
def test_fan_hull_from_row_ends_is_the_hull_of_every_fan_pixel(seed, shift):
    # The fan search takes the hull from each row's first and last pixel (fast); it must be the
    # same polygon as the hull of all of the fan's pixels, or QA and the runtime would crop differently.
    from cleftedge.runtime.sector import _row_ends

    _, fan = fan_frame(seed, shift)
    region = fan > 0
    fast = cv2.convexHull(_row_ends(region))
    full = cv2.convexHull(cv2.findNonZero(region.astype(np.uint8)))
    masks = [np.zeros(fan.shape, np.uint8) for _ in range(2)]
    for mask, hull in zip(masks, (fast, full), strict=True):
        cv2.fillConvexPoly(mask, hull, 255)
    assert len(fast) >= 3 and np.array_equal(masks[0], masks[1])
