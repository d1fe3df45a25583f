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
from cleftedge.calibration.data_store import ArrowStore, open_location, shown
from cleftedge.calibration.dataset_records import Dataset
from cleftedge.errors import CleftEdgeError


def open_dataset(path: str | Path) -> Dataset:
    """The data set at `path` (a folder, a manifest CSV, or a video or cine with its labels CSV), read
    by the reader its layout needs; one-line CleftEdgeError when it does not exist or does not parse.
    `path` may be a URI pyarrow's filesystems read (s3://..., file://...: data_store.py)."""
    store, p = open_location(path)
    if not store.exists(p):
        raise CleftEdgeError(f"data set {shown(path)} does not exist", "a folder, a manifest CSV, or a video or "
                             "DICOM cine with <stem>.labels.csv", "check the path")
    is_file = store.is_file(p)
    if isinstance(store, ArrowStore) and (not is_file or p.suffix.lower() == ".csv"):
        store.index(p.parent if is_file else p)  # one listing of the set's folder answers the readers' questions
    if is_file and p.suffix.lower() == ".csv":
        return readers.from_manifest(p, store)
    if is_file:
        return readers.from_frame_labels(p, store)
    for name in ("manifest.csv", "labels.csv"):
        if store.is_file(p / name):
            return readers.from_manifest(p / name, store)
    return readers.from_class_folders(p, store)


def check_leakage(sets: dict[str, Dataset]) -> None:
    """Refuse (one-line CleftEdgeError) two roles' sets that share file contents or case ids."""
    from cleftedge.calibration.leakage import check_leakage as check

    check(sets)
