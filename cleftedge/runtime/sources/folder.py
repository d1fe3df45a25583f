"""A folder of images played as a sequence: png, jpg, bmp, tif and DICOM (.dcm, every frame of
each file: carts often export one file per frame), in natural name order (frame2 before frame10).
Every file is checked when the folder is opened (image signature, DICOM header), so a non-image
file with an image name fails at open time, not halfway through a session."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.image_reader import IMAGE_SUFFIXES, read_image
from cleftedge.runtime.sources.base import Source

DICOM_SUFFIX = ".dcm"
__all__ = ["IMAGE_SUFFIXES", "ImageFolder", "list_images", "natural_key", "read_image"]


def natural_key(path: Path) -> list[int | str]:
    """The sort key that puts frame2.png before frame10.png: the name split into numbers and lower-case text."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(folder: str | Path) -> list[Path]:
    """The folder's image and DICOM files in natural order, each checked to be readable; one-line
    CleftEdgeError for an empty folder, a damaged DICOM file or a file that is not an image."""
    from cleftedge.runtime.sources.dicom import read_header

    wanted = (*IMAGE_SUFFIXES, DICOM_SUFFIX)
    files = sorted((p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in wanted),
                   key=natural_key)
    if not files:
        raise CleftEdgeError(f"folder {folder} holds no images", "png, jpg, bmp, tif or DICOM files",
                             "point --source at the folder with the frames")
    for p in files:
        if p.suffix.lower() == DICOM_SUFFIX:
            read_header(p)  # one line naming the file when it is damaged
    bad = [p.name for p in files if p.suffix.lower() != DICOM_SUFFIX and not cv2.haveImageReader(str(p))]
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise CleftEdgeError(f"folder {folder} has files that are not images: {', '.join(bad[:3])}{more}",
                             "only readable png, jpg, bmp or tif files under image names",
                             "remove or re-export those files")
    return files


def parse_folder(text: str) -> tuple[str, float | None]:
    """'frames/' -> ('frames/', None); 'frames/?fps=25' -> ('frames/', 25.0): a folder has no frame rate of
    its own, and --realtime needs one (`--fps` is the budget's frame rate, not the source's)."""
    if Path(text).is_dir() or "?" not in text:
        return text, None
    path, _, query = text.rpartition("?")
    options = parse_qs(query, keep_blank_values=True)
    if set(options) != {"fps"}:
        raise CleftEdgeError(f"folder source options '{query}'", "only fps, e.g. frames/?fps=25",
                             "give the folder's frame rate as ?fps=N")
    try:
        fps = float(options["fps"][-1])
    except ValueError:
        fps = math.nan
    if not (math.isfinite(fps) and fps > 0):
        raise CleftEdgeError(f"folder source fps={options['fps'][-1]}", "a positive, finite frame rate",
                             "e.g. frames/?fps=25")
    return path, fps


class ImageFolder(Source):
    name = "folder"

    def __init__(self, path: str, realtime: bool = False, fps: float | None = None):
        super().__init__(path, realtime)
        if realtime and not fps:  # silently playing as fast as possible would not be real time
            raise CleftEdgeError(f"real-time playback of the folder {path} needs a frame rate",
                                 "the folder's frame rate as a source parameter", f"e.g. --source '{path}?fps=25'")
        self.files = list_images(path)
        self.fps = fps  # a folder has no frame rate of its own; realtime pacing needs fps=
        self._images = self._iter_images()

    def _iter_images(self) -> Iterator[np.ndarray]:
        from cleftedge.runtime.sources.dicom import iter_dicom_frames

        for path in self.files:
            if path.suffix.lower() == DICOM_SUFFIX:
                yield from iter_dicom_frames(path)
            else:
                yield read_image(path)

    def _next(self) -> tuple[np.ndarray, None, None] | None:
        img = next(self._images, None)
        return None if img is None else (img, None, None)

    def describe(self) -> dict:
        """The source's description (see `Source.describe`) with the number of image files."""
        return {**super().describe(), "files": len(self.files)}
