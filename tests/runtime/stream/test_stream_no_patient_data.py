"""What the runtime shows and keeps (the live page's frames, the annotated video, the session
report's flagged frames) holds nothing from outside the ultrasound sector, where carts burn the
patient's name: the simulator draws such a line, and here it must not survive."""

import cv2
import numpy as np

from cleftedge.runtime.events import Sink, Sinks
from cleftedge.runtime.model import Model
from cleftedge.runtime.sector import sector_mask
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.stream import Pipeline
from cleftedge.simulator.sweep import iter_sweep

SOURCE = dict(seconds=2.0, cleft="unilateral", seed=4)
BANNER_ROWS, SCORE_BAR_ROWS = 36, 48  # the runtime's own drawing: the alert banner, the score bar and its label


class FrameSink(Sink):
    wants_frames = True  # as the live page and the video writer do

    def __init__(self):
        self.frames = {}

    def emit(self, event):
        pass

    def frame(self, index, image, result):
        self.frames[index] = image.copy()


def outside(raw: np.ndarray) -> np.ndarray:
    """Pixels well outside the sector of the raw frame, away from the runtime's own UI rows."""
    inside = cv2.dilate(sector_mask(raw), np.ones((13, 13), np.uint8)) > 0
    region = ~inside
    region[:BANNER_ROWS] = region[-SCORE_BAR_ROWS:] = False
    return region


def test_frames_shown_and_kept_are_black_outside_the_sector(ref_onnx_heat):
    raw = {f.index: f.image for f in iter_sweep(SOURCE["seconds"], SOURCE["cleft"], SOURCE["seed"])}
    assert max(int(img[outside(img)].max()) for img in raw.values()) > 150  # the overlays are really there
    sink = FrameSink()
    source = open_source(f"sim:{SOURCE['cleft']}?seed={SOURCE['seed']}&seconds={SOURCE['seconds']}")
    session = Pipeline(Model.open(ref_onnx_heat, steady=True), source, Sinks([sink])).run()
    assert len(sink.frames) > 30
    for index, shown in sink.frames.items():
        assert int(shown[outside(raw[index])].max()) == 0, f"frame {index} shows what is outside the sector"
    assert session.flagged, "the cleft sweep keeps flagged frames for the review"
    for kept in session.flagged:
        image = cv2.imdecode(np.frombuffer(kept.jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert int(image[outside(raw[kept.frame])].max()) < 40  # JPEG ringing only
