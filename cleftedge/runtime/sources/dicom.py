"""DICOM files, single-frame and multi-frame cine, decoded frame by frame (pydicom 3) into uint8
grey or BGR. Colour handling: MONOCHROME1 (inverted) and MONOCHROME2 in 8 and 16 bits (16-bit
windowed to 8: Window Center/Width when the file has them, else the stored bit range), RGB in
both planar configurations, YBR_FULL and YBR_FULL_422 (pydicom converts them to RGB, including
multi-frame JPEG baseline as carts write it) and PALETTE COLOR (through its lookup table)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.sources.base import Source

RGB_LIKE = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT")


def is_dicom(path: str | Path) -> bool:
    p = Path(path)
    if p.suffix.lower() == ".dcm":
        return True
    try:
        with open(p, "rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def _header(path: Path):
    import pydicom

    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except Exception as exc:  # pydicom raises many types for a corrupt file
        raise CleftEdgeError(f"cannot read DICOM {path} ({type(exc).__name__}: {exc})",
                             "a DICOM image or cine file", "check the file (an export from the cart)") from None


def dicom_frame_rate(path: str | Path, ds=None) -> float | None:
    """Frames per second where the file says (CineRate, RecommendedDisplayFrameRate, FrameTime)."""
    ds = ds if ds is not None else _header(Path(path))
    for key in ("CineRate", "RecommendedDisplayFrameRate"):
        v = ds.get(key)
        if v:
            return float(v)
    if ds.get("FrameTime"):
        return 1000.0 / float(ds.FrameTime)
    ftv = ds.get("FrameTimeVector")
    if ftv and len(ftv) > 1:
        return 1000.0 / float(np.mean([float(t) for t in list(ftv)[1:]]))
    return None


def _window(arr: np.ndarray, ds) -> np.ndarray:
    a = arr.astype(np.float32)
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is not None and width is not None:
        c = float(center[0] if hasattr(center, "__len__") and not isinstance(center, str) else center)
        w = float(width[0] if hasattr(width, "__len__") and not isinstance(width, str) else width)
        lo, hi = c - w / 2.0, c + w / 2.0
    else:
        bits = int(ds.get("BitsStored", 16))
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    return np.clip((a - lo) / max(hi - lo, 1e-6) * 255.0, 0, 255).astype(np.uint8)


def to_display(arr: np.ndarray, ds, photometric: str) -> np.ndarray:
    """One decoded frame -> uint8 grey (H, W) or BGR (H, W, 3)."""
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        rgb = apply_color_lut(arr, ds)
        if rgb.dtype != np.uint8:  # 16-bit LUT entries
            rgb = (rgb.astype(np.float32) / 257.0).round().astype(np.uint8)
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if photometric in RGB_LIKE:
        rgb = arr if arr.dtype == np.uint8 else _window(arr, ds)
        return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    grey = arr if arr.dtype == np.uint8 else _window(arr, ds)
    if grey.ndim == 3:
        grey = grey[..., 0]
    if photometric == "MONOCHROME1":
        grey = 255 - grey
    return np.ascontiguousarray(grey)


def iter_dicom_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Decode a DICOM file frame by frame (a long cine never loads whole) into uint8 grey/BGR."""
    from pydicom.pixels import iter_pixels

    p = Path(path)
    ds = _header(p)
    if "PixelData" not in ds and ds.get("NumberOfFrames") is None and not hasattr(ds, "Rows"):
        raise CleftEdgeError(f"DICOM {p} has no image", "a DICOM image or cine with pixel data",
                             "export the images, not a report or structured document")
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    try:
        for arr in iter_pixels(p):
            yield to_display(arr, ds, photometric)
    except CleftEdgeError:
        raise
    except Exception as exc:
        raise CleftEdgeError(f"cannot decode the pixels of DICOM {p} ({type(exc).__name__}: {exc})",
                             "pixel data pydicom can decode (uncompressed, JPEG baseline with pillow, RLE)",
                             "install pillow for JPEG frames, or export uncompressed") from None


class DicomSource(Source):
    name = "dicom"

    def __init__(self, path: str, realtime: bool = False):
        super().__init__(path, realtime)
        ds = _header(Path(path))
        self.fps = dicom_frame_rate(path, ds)
        self.frames = int(ds.get("NumberOfFrames", 1) or 1)
        self._it = iter_dicom_frames(path)

    def _next(self):
        img = next(self._it, None)
        return None if img is None else (img, None, None)

    def describe(self) -> dict:
        return {**super().describe(), "frames": self.frames}
