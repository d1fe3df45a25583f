"""Apply a ModelSpec's input section to a frame: the one implementation that calibration, QA,
training and the runtime all use, so that every stage sees exactly the same tensor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sector import Sector, SectorDetector, find_sector, sector_mask
from cleftedge.spec import InputSpec

__all__ = ["Geometry", "Prepared", "Preprocessor", "sector_mask", "find_sector", "check_frame"]


@dataclass(frozen=True)
class Geometry:
    """Where the input tensor came from: the crop in frame pixels, then scale and padding."""

    roi: tuple[int, int, int, int]  # x0, y0, x1, y1 in the frame
    scale_x: float  # input pixels per frame pixel
    scale_y: float
    pad_x: int  # input pixels of padding on the left / top (letterbox)
    pad_y: int

    def frame_to_input(self, x: float, y: float) -> tuple[float, float]:
        """A point in frame pixels -> the same point in input-tensor pixels."""
        return ((x - self.roi[0]) * self.scale_x + self.pad_x, (y - self.roi[1]) * self.scale_y + self.pad_y)

    def input_to_frame(self, x: float, y: float) -> tuple[float, float]:
        """A point in input-tensor pixels -> the same point in frame pixels."""
        return ((x - self.pad_x) / self.scale_x + self.roi[0], (y - self.pad_y) / self.scale_y + self.roi[1])


@dataclass(frozen=True)
class Prepared:
    """One frame made ready for the model, with where its tensor came from: the float32 (C, H, W)
    tensor, its geometry (crop, scale, padding) and the sector it was cropped to (None without a
    sector crop, or before a fan was seen). Everything here belongs to this one frame."""

    tensor: np.ndarray
    geometry: Geometry
    sector: Sector | None


def check_frame(frame: object) -> np.ndarray:
    """A frame must be uint8 grey (H, W) or BGR (H, W, 3); (H, W, 1) is taken as grey."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        found = getattr(frame, "dtype", type(frame).__name__)
        raise CleftEdgeError(f"frame of type {found}", "a uint8 image (grey or BGR)",
                             "convert the frame to 8 bits (sources do this for video and DICOM)")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3):
        if min(frame.shape[:2]) < 8:
            raise CleftEdgeError(f"frame of size {frame.shape[1]}x{frame.shape[0]}", "at least 8x8 pixels",
                                 "check the frame source")
        return frame
    raise CleftEdgeError(f"frame of shape {frame.shape}", "grey (H, W) or BGR (H, W, 3)",
                         "convert BGRA or other layouts to BGR first")


class Preprocessor:
    """Frame -> float32 (C, H, W) tensor as the spec says.

    steady=False (data sets, stills): the sector is found in each frame on its own.
    steady=True (a live stream): the crop is kept steady over time, so use one per stream.
    """

    def __init__(self, spec: InputSpec, steady: bool = False) -> None:
        self.spec = spec
        self.steady = steady
        self.detector: SectorDetector | None
        if not spec.crop_sector:
            self.detector = None
        elif steady:  # look every 6th frame; follow a real change after 3 looks (about 0.6 s at 30 fps)
            self.detector = SectorDetector(tolerance=0.03, patience=3, every=6)
        else:
            self.detector = SectorDetector(tolerance=0.0, patience=1)
        c = spec.channels
        mean = np.broadcast_to(np.asarray(spec.mean, np.float32), (c,))
        std = np.broadcast_to(np.asarray(spec.std, np.float32), (c,))
        self._gain = (np.float32(spec.scale) / std).reshape(1, 1, c)
        self._bias = (-mean / std).reshape(1, 1, c)

    def prepare(self, frame: np.ndarray) -> Prepared:
        """One uint8 grey or BGR frame -> its tensor with the geometry and sector it was cut with."""
        frame = check_frame(frame)
        if frame.ndim == 3 and self.spec.color == "GRAY":
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)  # once, for the fan search and the crop
        h, w = frame.shape[:2]
        sector, roi, mask = self.detector.crop(frame) if self.detector else (None, (0, 0, w, h), None)
        x0, y0, x1, y1 = roi
        img = self._colour(frame[y0:y1, x0:x1])  # colour first: a grey mask pass is 3x cheaper
        if mask is not None:
            img = cv2.bitwise_and(img, img, mask=mask)
        img, geometry = self._resize(img, roi)
        x = img.astype(np.float32)
        if x.ndim == 2:
            x = x[:, :, None]
        x *= self._gain
        x += self._bias
        return Prepared(np.ascontiguousarray(x.transpose(2, 0, 1)), geometry, sector)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """The tensor alone: `prepare(frame).tensor`, for callers that need no geometry."""
        return self.prepare(frame).tensor

    def batch(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """Frames -> a float32 (N, C, H, W) batch (an empty sequence gives N = 0)."""
        return np.stack([self(f) for f in frames]) if len(frames) else np.zeros((0, *self.spec.shape), np.float32)

    def _colour(self, img: np.ndarray) -> np.ndarray:
        color = self.spec.color
        if color == "GRAY":
            return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        if img.ndim == 2:
            return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)  # same for RGB: all channels equal
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if color == "RGB" else img

    def _resize(self, img: np.ndarray, roi: tuple[int, int, int, int]) -> tuple[np.ndarray, Geometry]:
        s = self.spec
        h, w = img.shape[:2]
        if s.resize == "stretch":
            sx, sy = s.width / w, s.height / h
            out = cv2.resize(img, (s.width, s.height), interpolation=_interp(s.interpolation, sx * sy))
            return out, Geometry(roi, sx, sy, 0, 0)
        if s.resize == "short_side_crop":
            return self._short_side_crop(img, roi)
        f = min(s.width / w, s.height / h)
        nw, nh = max(1, round(w * f)), max(1, round(h * f))
        small = cv2.resize(img, (nw, nh), interpolation=_interp(s.interpolation, f * f))
        if s.resize == "letterbox":
            px, py = (s.width - nw) // 2, (s.height - nh) // 2
        else:  # letterbox_topleft
            px, py = 0, 0
        shape = (s.height, s.width) + small.shape[2:]
        out = np.full(shape, s.pad_value, dtype=np.float32)
        out[py:py + nh, px:px + nw] = small
        return out, Geometry(roi, nw / w, nh / h, px, py)

    def _short_side_crop(self, img: np.ndarray, roi: tuple[int, int, int, int]) -> tuple[np.ndarray, Geometry]:
        """ImageNet evaluation style: the shorter side to S (resize_short, default max(H, W)), then the
        centre H x W (a side shorter than the crop after resizing is padded with pad_value)."""
        s = self.spec
        h, w = img.shape[:2]
        f = (s.resize_short or max(s.height, s.width)) / min(h, w)
        nw, nh = max(1, round(w * f)), max(1, round(h * f))
        big = cv2.resize(img, (nw, nh), interpolation=_interp(s.interpolation, f * f))
        x0, y0 = (nw - s.width) // 2, (nh - s.height) // 2
        out = big[max(0, y0):max(0, y0) + s.height, max(0, x0):max(0, x0) + s.width]
        if out.shape[:2] != (s.height, s.width):
            pad = np.full((s.height, s.width) + out.shape[2:], s.pad_value, dtype=np.float32)
            py, px = max(0, -y0), max(0, -x0)
            pad[py:py + out.shape[0], px:px + out.shape[1]] = out
            out = pad
        return out, Geometry(roi, nw / w, nh / h, -x0, -y0)


INTERPOLATION = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA, "cubic": cv2.INTER_CUBIC,
                 "lanczos": cv2.INTER_LANCZOS4}


def _interp(name: str, area_ratio: float) -> int:
    if name != "auto":
        return INTERPOLATION[name]
    return cv2.INTER_AREA if area_ratio < 1.0 else cv2.INTER_LINEAR
