import time

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.uid import ImplicitVRLittleEndian
from sources_helpers import (
    rgb_to_ybr_full,
    write_jpeg_ybr422,
    write_mono,
    write_palette,
    write_rgb,
    write_ybr422_native,
)

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.sources.dicom import dicom_frame_rate, iter_dicom_frames

RNG = np.random.default_rng(0)


def gradient(n=3, rows=24, cols=32):
    base = np.tile(np.linspace(0, 255, cols, dtype=np.float32), (rows, 1))
    return np.stack([np.clip(base + 10 * i, 0, 255) for i in range(n)]).astype(np.uint8)


def colour_bars(n=3, rows=32, cols=48):
    """Three flat colour bars, brighter in each frame (so frame order shows)."""
    rgb = np.zeros((n, rows, cols, 3), np.uint8)
    for k in range(n):
        rgb[k, :, :16] = (200, 40 + 20 * k, 40)
        rgb[k, :, 16:32] = (40, 200, 40 + 20 * k)
        rgb[k, :, 32:] = (40 + 20 * k, 40, 200)
    return rgb


def max_diff(a, b):
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def test_monochrome2_8bit_multiframe_with_frame_time(tmp_path):
    frames = gradient()
    src = open_source(str(write_mono(tmp_path / "m2.dcm", frames, frame_time_ms=40)))
    got = list(src)
    assert len(got) == 3 and src.fps == pytest.approx(25.0) and src.describe()["frames"] == 3
    assert got[1].image.dtype == np.uint8 and got[1].image.ndim == 2
    assert all(np.array_equal(f.image, frames[i]) for i, f in enumerate(got))
    assert [f.pts for f in got] == pytest.approx([0.0, 0.04, 0.08])


def test_monochrome1_is_inverted_8_and_16_bit(tmp_path):
    frames = gradient(1)
    got = list(iter_dicom_frames(write_mono(tmp_path / "m1.dcm", frames, "MONOCHROME1")))
    assert np.array_equal(got[0], 255 - frames[0])
    raw = np.array([[[0, 4095]]], np.uint16).repeat(4, 1).repeat(4, 2)
    p16 = write_mono(tmp_path / "m1_16.dcm", raw, "MONOCHROME1", bits=16, BitsStored=12, HighBit=11)
    got16 = next(iter_dicom_frames(p16))
    assert got16[0, 0] == 255 and got16[0, 7] == 0  # stored 0 is white in MONOCHROME1


def test_16bit_window_center_width_is_the_dicom_linear_window(tmp_path):
    raw = np.array([[[0, 1000, 2000, 4095]]], np.uint16).repeat(8, 1).repeat(2, 2)
    got = next(iter_dicom_frames(write_mono(tmp_path / "w.dcm", raw, bits=16, window=(1000, 2000))))
    assert got.dtype == np.uint8 and list(got[0, ::2]) == [0, 128, 255, 255]
    # the window applies to rescaled values: stored 500 * 2 = 1000 is the centre
    half = (raw // 2).astype(np.uint16)
    scaled = write_mono(tmp_path / "r.dcm", half, bits=16, window=(1000, 2000), RescaleSlope=2, RescaleIntercept=0)
    assert list(next(iter_dicom_frames(scaled))[0, ::2]) == [0, 128, 255, 255]


def test_16bit_without_window_uses_the_stored_bit_range(tmp_path):
    raw = np.array([[[0, 1000, 2000, 4095]]], np.uint16).repeat(8, 1).repeat(2, 2)
    path = write_mono(tmp_path / "b.dcm", raw, bits=16, BitsStored=12, HighBit=11)
    assert list(next(iter_dicom_frames(path))[0, ::2]) == [0, 62, 125, 255]  # v * 255 / 4095


@pytest.mark.parametrize("planar", [0, 1])
def test_rgb_both_planar_configurations_become_bgr(tmp_path, planar):
    rgb = RNG.integers(0, 256, (2, 16, 20, 3), dtype=np.uint8)
    src = open_source(str(write_rgb(tmp_path / f"rgb{planar}.dcm", rgb, planar, cine_rate=30)))
    got = [f.image for f in src]
    assert src.fps == 30
    assert np.array_equal(got[0], rgb[0][..., ::-1]) and np.array_equal(got[1], rgb[1][..., ::-1])


def test_ybr_full_uncompressed(tmp_path):
    rgb = colour_bars(2)
    got = list(iter_dicom_frames(write_rgb(tmp_path / "ybr.dcm", rgb_to_ybr_full(rgb), 0, "YBR_FULL")))
    assert max_diff(got[0], rgb[0][..., ::-1]) <= 3 and max_diff(got[1], rgb[1][..., ::-1]) <= 3


def test_ybr_full_422_uncompressed(tmp_path):
    rgb = colour_bars(2)  # bars 16 pixels wide: chroma pairs never straddle two colours
    got = list(iter_dicom_frames(write_ybr422_native(tmp_path / "ybr422.dcm", rgb)))
    assert len(got) == 2 and got[0].shape == (32, 48, 3)
    assert max_diff(got[1], rgb[1][..., ::-1]) <= 3


@pytest.mark.parametrize("photometric,subsampling", [("YBR_FULL_422", 1), ("YBR_FULL", 0)])
def test_multiframe_jpeg_baseline_cine(tmp_path, photometric, subsampling):
    """Encapsulated JPEG frames as carts write them: pillow decodes YCbCr to RGB and pydicom must not
    convert again; colours and frame order come out right (within JPEG's loss)."""
    rgb = colour_bars(3)
    path = write_jpeg_ybr422(tmp_path / "cine.dcm", rgb, fps=25, subsampling=subsampling, photometric=photometric)
    assert dcmread(path).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    src = open_source(str(path))
    got = [f.image for f in src]
    assert len(got) == 3 and src.fps == 25
    for k in range(3):  # compare away from the bar edges (JPEG rings there)
        for col in (8, 24, 40):
            assert max_diff(got[k][8:24, col - 4:col + 4], rgb[k, 8:24, col - 4:col + 4, ::-1]) <= 12


def test_palette_color_applies_lut(tmp_path):
    lut = np.stack([np.arange(256), 255 - np.arange(256), np.full(256, 7)], 1).astype(np.uint8)
    index = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1))
    got = next(iter_dicom_frames(write_palette(tmp_path / "pal.dcm", index, lut)))
    assert got.shape == (4, 16, 3)
    assert np.array_equal(got[1], lut[index[1]][:, ::-1])  # BGR of LUT[index]


@pytest.mark.parametrize("tags,fps", [
    ({"FrameTime": 40, "CineRate": 10}, 25.0),  # the acquisition interval wins
    ({"FrameTimeVector": [0, 50, 50, 50]}, 20.0),
    ({"CineRate": 15}, 15.0),
    ({"RecommendedDisplayFrameRate": 12}, 12.0),
    ({}, None),
])
def test_frame_rate_from_the_file(tmp_path, tags, fps):
    path = write_mono(tmp_path / "f.dcm", gradient(4), **tags)
    assert dicom_frame_rate(path) == (pytest.approx(fps) if fps else None)
    assert open_source(str(path)).fps == (pytest.approx(fps) if fps else None)


def test_frame_time_vector_gives_each_frame_its_time(tmp_path):
    path = write_mono(tmp_path / "v.dcm", gradient(4), FrameTimeVector=[0, 30, 50, 40])
    assert [f.pts for f in open_source(str(path))] == pytest.approx([0.0, 0.03, 0.08, 0.12])


def test_realtime_plays_a_cine_at_its_frame_rate(tmp_path):
    path = str(write_mono(tmp_path / "rt.dcm", gradient(6), frame_time_ms=40))
    t = time.monotonic()
    assert len(list(open_source(path, realtime=True))) == 6
    assert time.monotonic() - t >= 0.2 - 0.01
    t = time.monotonic()
    list(open_source(path))
    assert time.monotonic() - t < 0.15  # as fast as possible without realtime


def test_dicom_without_suffix_is_found_by_its_magic(tmp_path):
    frames = gradient(2)
    path = write_mono(tmp_path / "IM0001", frames)
    src = open_source(str(path))
    assert src.describe()["kind"] == "dicom" and np.array_equal(src.read().image, frames[0])


def test_corrupt_dicom_fails_at_open_in_one_line(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"garbage")
    with pytest.raises(CleftEdgeError, match="DICOM") as exc:
        open_source(str(bad))
    assert "\n" not in exc.value.line()
    with pytest.raises(CleftEdgeError):
        iter_dicom_frames(bad)  # the reusable decoder checks at once too


@pytest.mark.parametrize("implicit", [False, True])
def test_truncated_pixel_data_fails_at_open(tmp_path, implicit):
    path = write_mono(tmp_path / "t.dcm", gradient(3))
    if implicit:
        ds = dcmread(path)
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.save_as(path, enforce_file_format=True)
        assert len(list(open_source(str(path)))) == 3  # the whole file reads
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])
    with pytest.raises(CleftEdgeError, match="truncated") as exc:
        open_source(str(path))
    assert "\n" not in exc.value.line()


def test_dicom_without_image_and_unsupported_encoding(tmp_path):
    path = write_mono(tmp_path / "n.dcm", gradient(1))
    ds = dcmread(path)
    del ds.PixelData, ds.Rows, ds.Columns
    ds.save_as(path)
    with pytest.raises(CleftEdgeError, match="has no image"):
        open_source(str(path))
    mpeg = write_mono(tmp_path / "m.dcm", gradient(1))
    ds = dcmread(mpeg)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.102"  # MPEG-4 AVC/H.264
    ds.PixelData = encapsulate([b"\0\0\0\1not really h264"])
    ds.save_as(mpeg)
    with pytest.raises(CleftEdgeError, match="MPEG-4 AVC/H.264.*cannot decode"):
        open_source(str(mpeg))


def test_signed_16bit_without_window_uses_the_signed_bit_range(tmp_path):
    raw = np.array([[[-2048, 0, 2047]]], np.int16).repeat(4, 1).repeat(2, 2)
    path = write_mono(tmp_path / "s.dcm", raw, bits=16, BitsStored=12, HighBit=11, PixelRepresentation=1)
    assert list(next(iter_dicom_frames(path))[0, ::2]) == [0, 128, 255]


def test_a_long_cine_is_decoded_frame_by_frame_not_whole(tmp_path):
    import tracemalloc

    frames = np.random.default_rng(1).integers(0, 256, (60, 128, 128), dtype=np.uint8)  # 0.94 MiB of pixels
    path = write_mono(tmp_path / "long.dcm", frames)
    tracemalloc.start()
    count = 0
    for i, img in enumerate(iter_dicom_frames(path)):
        count += int(np.array_equal(img, frames[i]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 60 and peak < frames.nbytes / 4  # a few frames at a time, never the whole loop
