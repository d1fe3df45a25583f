"""DICOM files, single-frame and multi-frame cine, decoded frame by frame (pydicom 3) into uint8
grey or BGR; the colour rules are in dicom_pixels.py.

Reusable outside the runtime (calibration data sets): `iter_dicom_frames(path)` and
`dicom_frame_rate(path)`. A long cine never loads whole: `pydicom.pixels.iter_pixels(path)` reads
and decodes one frame at a time from the file."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.finite_pixels import check_finite
from cleftedge.runtime.sources.base import Source
from cleftedge.runtime.sources.dicom_pixels import _first_number, to_display

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

EXPECTED = "a DICOM image or cine file with pixel data"


def is_dicom(path: str | Path) -> bool:
    """A .dcm name, or the DICM magic at offset 128 (carts often write files without a suffix)."""
    p = Path(path)
    if p.suffix.lower() == ".dcm":
        return True
    try:
        with open(p, "rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def _pixel_data_length(f: BinaryIO, syntax: Any) -> int | None:
    """Read the Pixel Data element header where dcmread(stop_before_pixels) left the file: its
    value length (None for encapsulated data of undefined length); -1 when there is no Pixel Data."""
    head = f.read(12)
    little = syntax is None or syntax.is_little_endian
    order: Literal["little", "big"] = "little" if little else "big"
    if len(head) < 8 or (int.from_bytes(head[0:2], order), int.from_bytes(head[2:4], order)) != (0x7FE0, 0x0010):
        return -1
    if syntax is not None and syntax.is_implicit_VR:
        length = int.from_bytes(head[4:8], order)
    else:
        length = int.from_bytes(head[8:12], order) if len(head) == 12 else 0
    return None if length == 0xFFFFFFFF else length


def read_header(path: str | Path) -> Dataset:
    """The dataset without its pixel data; one-line CleftEdgeError for a corrupt or truncated file, a
    file with no image, or pixel data encoded in a way pydicom cannot decode here."""
    import pydicom
    from pydicom.pixels import get_decoder

    p = Path(path)
    ds = None
    try:
        with open(p, "rb") as f:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
            syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
            value_at = f.tell() + (8 if syntax is not None and syntax.is_implicit_VR else 12)
            length = _pixel_data_length(f, syntax)
        rows, cols = int(ds.Rows), int(ds.Columns)
    except (AttributeError, TypeError):
        length = -1
    except Exception as exc:  # pydicom raises many types for a corrupt or truncated file
        raise CleftEdgeError(f"cannot read DICOM {p} ({type(exc).__name__}: {exc})".replace("\n", " "),
                             EXPECTED, "check the file (export it again from the cart)") from None
    if ds is None or len(ds) == 0:
        raise CleftEdgeError(f"cannot read DICOM {p} (no data elements after the header)", EXPECTED,
                             "check the file (export it again from the cart)")
    if length == -1 or rows <= 0 or cols <= 0:
        raise CleftEdgeError(f"DICOM {p} has no image (no Pixel Data, Rows or Columns)", EXPECTED,
                             "export the images or cine loops, not a report or structured document")
    if length is not None and value_at + length > p.stat().st_size:
        raise CleftEdgeError(f"DICOM {p} is truncated ({p.stat().st_size - value_at} of {length} pixel bytes)",
                             EXPECTED, "copy or export the file again")
    if syntax is not None:
        try:
            get_decoder(syntax)
        except NotImplementedError:
            raise CleftEdgeError(f"DICOM {p} is encoded as {syntax.name}, which pydicom cannot decode",
                                 "uncompressed, RLE or JPEG (baseline/extended/lossless) pixel data",
                                 "export the cine as JPEG or uncompressed, or as a video file (mp4)") from None
    return ds


def _frame_times_ms(ds: Dataset) -> list[float] | None:
    """Frame Time Vector: ms from the previous frame (the first entry is 0)."""
    ftv = ds.get("FrameTimeVector")
    if ftv is None or isinstance(ftv, str | bytes) or not hasattr(ftv, "__len__") or len(ftv) < 2:
        return None
    try:
        times = [float(t) for t in ftv]
    except (TypeError, ValueError):
        return None
    return times if all(t >= 0 for t in times) and sum(times[1:]) > 0 else None


def dicom_frame_rate(path: str | Path | None = None, ds: Dataset | None = None) -> float | None:
    """Frames per second where the file says, else None; of the file at `path` or of its header `ds`.
    Order: Frame Time (the acquisition interval, ms), Frame Time Vector (mean interval), Cine Rate,
    Recommended Display Frame Rate."""
    if ds is None:
        if path is None:
            raise TypeError("dicom_frame_rate needs a path or a dataset")
        ds = read_header(path)
    frame_time = _first_number(ds.get("FrameTime"))
    if frame_time and frame_time > 0:
        return 1000.0 / frame_time
    times = _frame_times_ms(ds)
    if times:
        return 1000.0 / float(np.mean(times[1:]))
    for key in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = _first_number(ds.get(key))
        if rate and rate > 0:
            return rate
    return None


def frame_pts(ds: Dataset, n_frames: int) -> list[float] | None:
    """Media time of each frame in seconds where the file gives one (Frame Time Vector or Frame Time)."""
    times = _frame_times_ms(ds)
    if times and len(times) == n_frames:
        return list(np.cumsum(times) / 1000.0)
    rate = dicom_frame_rate(ds=ds)
    return [i / rate for i in range(n_frames)] if rate else None


def _frames(p: Path, ds: Dataset, photometric: str) -> Iterator[np.ndarray]:
    from pydicom.pixels import iter_pixels, pixel_array

    n = int(_first_number(ds.get("NumberOfFrames")) or 1)
    native = not ds.file_meta.TransferSyntaxUID.is_compressed
    if native and photometric == "YBR_FULL_422" and n > 1:
        # pydicom 3.0.2's iter_pixels reads half a frame for native multi-frame YBR_FULL_422 from a
        # file (reshape error); pixel_array(path, index=i) reads the right bytes, one frame at a time
        return (pixel_array(p, index=i) for i in range(n))
    return iter_pixels(p)


def _decode(p: Path, ds: Dataset) -> Generator[np.ndarray, None, None]:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    try:
        for arr in _frames(p, ds, photometric):
            check_finite(arr, f"DICOM {p}")
            yield to_display(arr, ds, photometric)
    except CleftEdgeError:
        raise
    except Exception as exc:  # a truncated or damaged pixel data element
        syntax = ds.file_meta.TransferSyntaxUID
        reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
        raise CleftEdgeError(f"cannot decode the pixels of DICOM {p} ({syntax.name}; {reason})",
                             "pixel data pydicom can decode here (uncompressed, RLE, JPEG and JPEG 2000 with pillow)",
                             "export the file again; for JPEG-LS install pylibjpeg and pylibjpeg-libjpeg") from None


def iter_dicom_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Decode a DICOM file frame by frame into uint8 grey (H, W) or BGR (H, W, 3).

    The header is checked here, when the iterator is made (not at the first next()); a file with
    no image, a corrupt header or an unsupported encoding raises CleftEdgeError right away."""
    p = Path(path)
    return _decode(p, read_header(p))


class DicomSource(Source):
    name = "dicom"

    def __init__(self, path: str, realtime: bool = False, fps: float | None = None):
        super().__init__(path, realtime)
        ds = read_header(path)
        self.frames = int(_first_number(ds.get("NumberOfFrames")) or 1)
        self.photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
        self.fps = fps or dicom_frame_rate(ds=ds)
        self._pts = None if fps else frame_pts(ds, self.frames)
        self._it = _decode(Path(path), ds)
        self._first: np.ndarray | None = next(self._it, None)  # decode one frame now: a damaged file fails at open time
        if self._first is None:
            raise CleftEdgeError(f"DICOM {path} holds no frames", EXPECTED, "export the file again")

    def _next(self) -> tuple[np.ndarray, float | None, None] | None:
        img = self._first if self._first is not None else next(self._it, None)
        self._first = None
        if img is None:
            return None
        pts = self._pts[self._index] if self._pts and self._index < len(self._pts) else None
        return img, pts, None

    def describe(self) -> dict:
        """The source's description (see `Source.describe`) with its frame count and photometric interpretation."""
        return {**super().describe(), "frames": self.frames, "photometric": self.photometric}

    def close(self) -> None:
        """Stop decoding (closes the file pydicom reads the frames from)."""
        self._it.close()
