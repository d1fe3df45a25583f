"""Labelled frames for calibration, validation and QA, streamed one at a time.

Kinds (`open_dataset`): a class-per-folder tree; a CSV manifest (path,label[,case_id,site,severity,
frame]); a folder of DICOM files or cine loops with a `labels.csv` or `manifest.csv` (one label per
file: every frame of a cine gets it, unless a `frame` column picks frames); a video or a DICOM cine
with `<stem>.labels.csv` (frame,label or frame,in_plane,cleft). The label map (label_map.py) says
which labels count as a cleft. The records and their streaming are in dataset_records.py, the
readers of each layout in dataset_readers.py.

Three roles never mix: the calibration set, the validation set (anything that tunes) and the locked
QA set (judges only); `check_leakage` refuses two that share files (by content) or case ids."""

from __future__ import annotations

from pathlib import Path

from cleftedge.calibration import dataset_readers as readers
from cleftedge.calibration.dataset_records import Dataset
from cleftedge.errors import CleftEdgeError


def open_dataset(path: str | Path) -> Dataset:
    """The data set at `path` (a folder, a manifest CSV, or a video or cine with its labels CSV), read
    by the reader its layout needs; one-line CleftEdgeError when it does not exist or does not parse."""
    p = Path(path)
    if not p.exists():
        raise CleftEdgeError(f"data set {p} does not exist", "a folder, a manifest CSV, or a video or DICOM cine "
                             "with <stem>.labels.csv", "check the path")
    if p.is_file() and p.suffix.lower() == ".csv":
        return readers.from_manifest(p)
    if p.is_file():
        return readers.from_frame_labels(p)
    for name in ("manifest.csv", "labels.csv"):
        if (p / name).is_file():
            return readers.from_manifest(p / name)
    return readers.from_class_folders(p)


def check_leakage(sets: dict[str, Dataset]) -> None:
    """Refuse (one-line CleftEdgeError) two roles' sets that share file contents or case ids."""
    from cleftedge.calibration.leakage import check_leakage as check

    check(sets)
