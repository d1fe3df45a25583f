"""The refusal every pixel reader shares (image files, videos, DICOM): float pixels must be finite."""

from __future__ import annotations

import numpy as np

from cleftedge.errors import CleftEdgeError

FIX = "re-export the frames as 8- or 16-bit images (or finite floats in 0..1)"


def check_finite(arr: np.ndarray, where: str) -> None:
    """Refuse float pixel data holding NaN or infinity (one line naming the file)."""
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise CleftEdgeError(f"{where} has {bad} non-finite pixels (NaN or infinity)", "finite pixel values",
                             f"{FIX}; a NaN frame is not a blank frame")
