"""The one image reader: every frame cleftedge scores, on the cart (`run`'s sources) and on the build
host (calibration and QA data sets), is decoded here, by the same rules, into uint8 grey (H, W) or
BGR (H, W, 3). The QA must judge what the cart will see: the same file gives the same tensor.

Pixel rules (`to_uint8`):
- uint8 as stored; 16-bit divided by 257 and rounded (65535 -> 255, the same for every frame of a
  cine, no per-frame stretch that would make a constant frame black);
- float: refused when any pixel is NaN or infinite (a NaN frame is not a blank frame); values in
  [0, 1] are scaled by 255, values in [0, 255] taken as they are, anything else refused;
- other integer types (signed, 32-bit) refused: their display range is not known;
- alpha dropped (BGRA -> BGR), a grey + alpha pair keeps the grey, a single channel becomes (H, W).
DICOM has its own display rules (VOI window, photometric interpretation: sources/dicom_pixels.py)
and the same non-finite refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.finite_pixels import FIX, check_finite

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _channels(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.ndim == 3 and img.shape[2] in (1, 2):  # grey, or grey + alpha
        return img[..., 0]
    return img


def to_uint8(img: np.ndarray, where: str = "a frame") -> np.ndarray:
    """Any decoded frame -> uint8 grey or BGR, C-contiguous, by the rules above."""
    img = _channels(np.asarray(img))
    if img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    if img.dtype == np.uint16:
        return np.ascontiguousarray((img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8))
    if img.dtype == np.bool_:
        return np.ascontiguousarray(img.astype(np.uint8) * 255)
    if np.issubdtype(img.dtype, np.floating):
        check_finite(img, where)
        lo, hi = (float(img.min()), float(img.max())) if img.size else (0.0, 0.0)
        if lo >= 0.0 and hi <= 1.0:
            return np.ascontiguousarray((img.astype(np.float64) * 255.0 + 0.5).astype(np.uint8))
        if lo >= 0.0 and hi <= 255.0:
            return np.ascontiguousarray((img.astype(np.float64) + 0.5).astype(np.uint8))
        raise CleftEdgeError(f"{where} is a float image with values from {lo:g} to {hi:g}",
                             "float pixels in 0..1 or 0..255", FIX)
    raise CleftEdgeError(f"{where} has {img.dtype} pixels", "8- or 16-bit unsigned pixels, or floats", FIX)


def read_image(path: str | Path) -> np.ndarray:
    """A still image file (png, jpg, bmp, tif) or the first frame of a DICOM file -> uint8."""
    from cleftedge.runtime.sources.dicom import is_dicom, iter_dicom_frames

    p = Path(path)
    if is_dicom(p):
        return next(iter(iter_dicom_frames(p)))
    img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise CleftEdgeError(f"{p} is not a readable image", "png, jpg, bmp, tif or DICOM", "remove or fix the file")
    return to_uint8(img, str(p))


def video_frames(path: str | Path) -> Iterator[np.ndarray]:
    """The frames of a video file in order, one at a time, by the same rules."""
    cap = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, img = cap.read()
            if not ok or img is None:
                return
            yield to_uint8(img, f"{path} frame")
    finally:
        cap.release()
