import numpy as np
import pytest
from sources_helpers import write_jpeg_ybr422, write_mono, write_palette, write_rgb

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.sources.dicom import iter_dicom_frames

RNG = np.random.default_rng(0)


def gradient(n=3, rows=24, cols=32):
    base = np.tile(np.linspace(0, 255, cols, dtype=np.float32), (rows, 1))
    return np.stack([np.clip(base + 10 * i, 0, 255) for i in range(n)]).astype(np.uint8)


def test_monochrome2_8bit_multiframe_with_frame_time(tmp_path):
    frames = gradient()
    src = open_source(str(write_mono(tmp_path / "m2.dcm", frames, frame_time_ms=40)))
    got = [f.image for f in src]
    assert len(got) == 3 and src.fps == pytest.approx(25.0)
    assert got[1].dtype == np.uint8 and got[1].ndim == 2
    assert np.array_equal(got[1], frames[1])


def test_monochrome1_is_inverted(tmp_path):
    frames = gradient(1)
    got = list(iter_dicom_frames(write_mono(tmp_path / "m1.dcm", frames, "MONOCHROME1")))
    assert np.array_equal(got[0], 255 - frames[0])


def test_16bit_uses_window_or_bit_range(tmp_path):
    raw = np.array([[[0, 1000, 2000, 4095]]], np.uint16).repeat(8, 1).repeat(2, 2)
    windowed = next(iter_dicom_frames(write_mono(tmp_path / "w.dcm", raw, bits=16, window=(1000, 2000))))
    assert windowed[0, 0] == 0 and windowed[0, 2] == 127 and windowed[0, 4] == 255 and windowed[0, 6] == 255
    plain = write_mono(tmp_path / "b.dcm", raw, bits=16)
    from pydicom import dcmread

    ds = dcmread(plain)
    ds.BitsStored, ds.HighBit = 12, 11
    ds.save_as(plain)
    got = next(iter_dicom_frames(plain))
    assert got[0, 6] == 255 and got[0, 0] == 0 and 55 < got[0, 2] < 70


@pytest.mark.parametrize("planar", [0, 1])
def test_rgb_both_planar_configurations_become_bgr(tmp_path, planar):
    rgb = RNG.integers(0, 256, (2, 16, 20, 3), dtype=np.uint8)
    src = open_source(str(write_rgb(tmp_path / f"rgb{planar}.dcm", rgb, planar, cine_rate=30)))
    got = [f.image for f in src]
    assert src.fps == 30
    assert np.array_equal(got[1], rgb[1][..., ::-1])


def test_ybr_full_uncompressed(tmp_path):
    rgb = np.zeros((1, 8, 8, 3), np.uint8)
    rgb[..., 0] = 200  # red
    r, g, b = 200.0, 0.0, 0.0
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    ybr = np.zeros_like(rgb)
    ybr[..., 0], ybr[..., 1], ybr[..., 2] = round(y), round(cb), round(cr)
    got = next(iter_dicom_frames(write_rgb(tmp_path / "ybr.dcm", ybr, 0, "YBR_FULL")))
    assert np.abs(got[0, 0].astype(int) - [0, 0, 200]).max() <= 3  # BGR


def test_ybr_full_422_multiframe_jpeg_baseline(tmp_path):
    rgb = np.zeros((3, 32, 48, 3), np.uint8)
    rgb[:, :, :16] = (200, 40, 40)
    rgb[:, :, 16:32] = (40, 200, 40)
    rgb[:, :, 32:] = (40, 40, 200)
    src = open_source(str(write_jpeg_ybr422(tmp_path / "cine.dcm", rgb, fps=25)))
    got = [f.image for f in src]
    assert len(got) == 3 and src.fps == 25
    for k, col in ((0, 8), (1, 24), (2, 40)):
        assert np.abs(got[k][16, col].astype(int) - rgb[k, 16, col, ::-1].astype(int)).max() <= 12


def test_palette_color_applies_lut(tmp_path):
    lut = np.stack([np.arange(256), 255 - np.arange(256), np.full(256, 7)], 1).astype(np.uint8)
    index = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1))
    got = next(iter_dicom_frames(write_palette(tmp_path / "pal.dcm", index, lut)))
    assert got.shape == (4, 16, 3)
    assert list(got[0, 3]) == [7, 255 - 48, 48]  # BGR of LUT[48]


def test_corrupt_dicom_is_one_line(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"garbage")
    with pytest.raises(CleftEdgeError) as exc:
        list(open_source(str(bad)))
    assert "\n" not in exc.value.line()
