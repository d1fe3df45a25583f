import time

import cv2
import numpy as np
import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.sources.gstreamer import has_gstreamer


def write_video(path, n=12, fps=30.0):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(n):
        w.write(np.full((48, 64, 3), min(i * 20, 255), np.uint8))
    w.release()
    return path


def test_video_file_frames_carry_index_time_and_pts(tmp_path):
    src = open_source(str(write_video(tmp_path / "v.mp4")))
    frames = list(src)
    assert len(frames) == 12 and src.fps == pytest.approx(30.0)
    assert [f.index for f in frames] == list(range(12))
    assert frames[0].image.shape == (48, 64, 3) and frames[0].image.dtype == np.uint8
    assert frames[3].pts == pytest.approx(0.1, abs=0.02)
    assert all(b.t_capture >= a.t_capture for a, b in zip(frames, frames[1:], strict=False))
    assert abs(int(frames[5].image.mean()) - 100) < 8


def test_realtime_plays_at_the_file_rate(tmp_path):
    src = open_source(str(write_video(tmp_path / "v.mp4", n=15, fps=30.0)), realtime=True)
    t = time.monotonic()
    assert len(list(src)) == 15
    assert time.monotonic() - t >= 14 / 30 - 0.02


def test_image_folder_sorted(tmp_path):
    for i in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), np.full((20, 30), i * 50, np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    frames = list(open_source(str(tmp_path)))
    assert [int(f.image.mean()) for f in frames] == [0, 50, 100]


def test_simulator_source_is_live_with_ground_truth():
    src = open_source("sim:bilateral?seed=4&seconds=0.5&fps=30")
    frames = list(src)
    assert src.is_live and len(frames) == 15
    assert set(frames[0].truth) == {"in_plane", "cleft", "severity"}
    assert frames[0].image.shape == (480, 640, 3)


@pytest.mark.parametrize("text,needle", [
    ("missing.mp4", "does not exist"),
    ("sim:unilateral?speed=3", "simulator source option 'speed'"),
])
def test_bad_sources_are_one_line(text, needle):
    with pytest.raises(CleftEdgeError, match=needle) as exc:
        open_source(text)
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


def test_gstreamer_pipeline_without_gstreamer_says_so():
    if has_gstreamer():
        pytest.skip("this OpenCV has GStreamer")
    with pytest.raises(CleftEdgeError, match="no GStreamer support"):
        open_source("videotestsrc ! videoconvert ! appsink")
