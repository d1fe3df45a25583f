"""One decoded DICOM frame -> uint8 grey (H, W) or BGR (H, W, 3).

pydicom 3 (`iter_pixels`, raw=False) already turns YBR_FULL and YBR_FULL_422 into RGB, whether
the frames are native or JPEG baseline (for JPEG, pillow decodes to RGB and pydicom does not convert
a second time), so this only has to handle RGB, PALETTE COLOR and the monochrome interpretations.

More than 8 bits (16-bit grey) is windowed to 8:
- with Window Center/Width in the file: the DICOM linear VOI window (PS3.3 C.11.2.1.2) on the
  rescaled values (Rescale Slope/Intercept, when present), the first window when there are several;
- otherwise the whole stored bit range (BitsStored, signed or not), so every frame of a cine maps
  the same way (no flicker as a per-frame min/max would give).
8-bit data is shown as stored (ultrasound carts write display-ready 8-bit values)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

RGB_LIKE = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "YBR_PARTIAL_420")


def _first_number(value: Any) -> float | None:
    """A DS/IS value or the first of several; None when missing or not a number."""
    if value is None:
        return None
    if not isinstance(value, str | bytes) and hasattr(value, "__len__"):
        if len(value) == 0:
            return None
        value = value[0]
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def window_range(ds: Any) -> tuple[float, float, float, float]:
    """(slope, intercept, lo, hi): stored value v shows as 0 at v*slope+intercept <= lo, 255 at >= hi."""
    center, width = _first_number(ds.get("WindowCenter")), _first_number(ds.get("WindowWidth"))
    if center is not None and width is not None and width >= 1:
        slope = _first_number(ds.get("RescaleSlope")) or 1.0
        intercept = _first_number(ds.get("RescaleIntercept")) or 0.0
        # PS3.3 C.11.2.1.2.1: linear window, x <= c - 0.5 - (w-1)/2 -> 0, x > c - 0.5 + (w-1)/2 -> max
        return slope, intercept, center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    bits = int(_first_number(ds.get("BitsStored")) or 16)
    if int(_first_number(ds.get("PixelRepresentation")) or 0) == 1:
        return 1.0, 0.0, -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1
    return 1.0, 0.0, 0.0, 2.0 ** bits - 1


def to_uint8(arr: np.ndarray, ds: Any) -> np.ndarray:
    """`arr` as uint8: as it is when already 8-bit, else through the file's window (`window_range`)."""
    if arr.dtype == np.uint8:
        return arr
    slope, intercept, lo, hi = window_range(ds)
    a = arr.astype(np.float32) * slope + intercept
    return np.clip((a - lo) / max(hi - lo, 1e-6) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def to_display(arr: np.ndarray, ds: Any, photometric: str) -> np.ndarray:
    """One decoded frame (as iter_pixels yields it) -> uint8 grey or BGR, C-contiguous."""
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        rgb = apply_color_lut(arr, ds)
        if rgb.dtype != np.uint8:  # 16-bit LUT entries (the usual case): scale 0..65535 -> 0..255
            bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
            rgb = np.clip(rgb.astype(np.float32) * 255.0 / (2 ** bits - 1) + 0.5, 0, 255).astype(np.uint8)
        return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    if photometric in RGB_LIKE or (arr.ndim == 3 and arr.shape[2] == 3):
        return cv2.cvtColor(np.ascontiguousarray(to_uint8(arr, ds)), cv2.COLOR_RGB2BGR)
    grey = to_uint8(arr, ds)
    if grey.ndim == 3:
        grey = grey[..., 0]
    if photometric == "MONOCHROME1":  # 0 is white in MONOCHROME1
        grey = 255 - grey
    return np.ascontiguousarray(grey)
