import time

import cv2
import numpy as np
import pytest
from sources_helpers import write_mono

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources import open_source, source_kind


def write_video(path, n=12, fps=30.0):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(n):
        w.write(np.full((48, 64, 3), min(i * 20, 255), np.uint8))
    w.release()
    return path


def test_video_file_frames_carry_index_time_and_pts(tmp_path):
    src = open_source(str(write_video(tmp_path / "v.mp4")))
    assert not src.is_live and src.describe()["frames"] == 12
    frames = list(src)
    assert len(frames) == 12 and src.fps == pytest.approx(30.0)
    assert [f.index for f in frames] == list(range(12))
    assert frames[0].image.shape == (48, 64, 3) and frames[0].image.dtype == np.uint8
    assert [f.pts for f in frames[:4]] == pytest.approx([0, 1 / 30, 2 / 30, 3 / 30], abs=0.005)
    assert all(b.t_capture >= a.t_capture for a, b in zip(frames, frames[1:], strict=False))
    assert abs(int(frames[5].image.mean()) - 100) < 8
    assert src.read() is None  # the end, again


def test_realtime_plays_at_the_file_rate(tmp_path):
    path = str(write_video(tmp_path / "v.mp4", n=15, fps=30.0))
    t = time.monotonic()
    frames = list(open_source(path, realtime=True))
    assert len(frames) == 15 and time.monotonic() - t >= 14 / 30 - 0.02
    # each frame is handed over no earlier than its media time
    assert all(f.t_capture - frames[0].t_capture >= f.pts - 0.01 for f in frames)
    t = time.monotonic()
    assert len(list(open_source(path, realtime=True, fps=60))) == 15  # fps= overrides the file's rate
    assert 14 / 60 - 0.02 <= time.monotonic() - t < 14 / 30


def test_image_folder_in_natural_order_with_every_image_kind(tmp_path):
    for i in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), np.full((20, 30), i * 10, np.uint8))
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 2] = 200  # red in BGRA
    cv2.imwrite(str(tmp_path / "frame11.png"), rgba)
    cv2.imwrite(str(tmp_path / "frame12.tif"), np.full((20, 30), 65535, np.uint16))
    (tmp_path / "notes.txt").write_text("ignored: not an image name")
    src = open_source(str(tmp_path))
    frames = list(src)
    assert src.describe()["files"] == 5 and src.fps is None
    assert [int(f.image.mean()) for f in frames[:3]] == [10, 20, 100]  # frame2 before frame10
    assert frames[3].image.shape == (20, 30, 3) and list(frames[3].image[0, 0]) == [0, 0, 200]
    assert frames[4].image.dtype == np.uint8 and frames[4].image.max() == 255


def test_folder_of_dicom_files_plays_every_frame_in_order(tmp_path):
    for i in (10, 9):
        write_mono(tmp_path / f"IM{i}.dcm", np.full((2, 8, 8), i * 10, np.uint8))
    cv2.imwrite(str(tmp_path / "IM11.png"), np.full((8, 8), 110, np.uint8))
    assert [int(f.image.mean()) for f in open_source(str(tmp_path))] == [90, 90, 100, 100, 110]
    (tmp_path / "IM12.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"garbage")
    with pytest.raises(CleftEdgeError, match="IM12.dcm"):
        open_source(str(tmp_path))


def test_image_folder_plays_at_a_given_rate(tmp_path):
    for i in range(6):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.zeros((8, 8), np.uint8))
    t = time.monotonic()
    frames = list(open_source(str(tmp_path), realtime=True, fps=50))
    assert time.monotonic() - t >= 5 / 50 - 0.01 and frames[5].pts == pytest.approx(0.1)


def test_non_image_file_in_a_folder_fails_at_open(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8), np.uint8))
    (tmp_path / "b.jpg").write_bytes(b"this is a text file named like an image")
    with pytest.raises(CleftEdgeError, match="not images: b.jpg") as exc:
        open_source(str(tmp_path))
    assert "\n" not in exc.value.line()


def test_unreadable_video_empty_folder_unknown_kind(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video")
    with pytest.raises(CleftEdgeError, match="cannot open video|no readable frame"):
        open_source(str(bad))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CleftEdgeError, match="holds no images"):
        open_source(str(tmp_path / "empty"))
    odd = tmp_path / "x.xyz"
    odd.write_text("?")
    with pytest.raises(CleftEdgeError, match="not a known kind"):
        open_source(str(odd))
    for text in ("missing.mp4", str(odd)):
        with pytest.raises(CleftEdgeError) as exc:
            open_source(text)
        assert "\n" not in exc.value.line() and "expected" in exc.value.line()
    with pytest.raises(CleftEdgeError, match="frame rate"):
        open_source(str(write_video(tmp_path / "v.mp4")), fps=0)


def test_kind_comes_from_the_text(tmp_path):
    video = write_video(tmp_path / "odd!name.mp4")  # a real file with "!" is a file, not a pipeline
    assert source_kind(str(video)) == "video" and open_source(str(video)).describe()["kind"] == "video"
    assert source_kind("a ! b ! appsink") == "gstreamer" and source_kind("gst:v4l2src ! appsink") == "gstreamer"
    assert source_kind("0") == "camera" and source_kind("rtsp://cart/stream") == "url"
    assert source_kind("sim:none") == "simulator" and source_kind(str(tmp_path)) == "folder"
