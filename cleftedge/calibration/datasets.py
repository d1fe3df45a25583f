"""Labelled frames for calibration, validation and QA, streamed one at a time.

Kinds: a class-per-folder tree, a CSV manifest (path,label[,case_id,site,severity]), a folder of
DICOM files or cine loops with a labels CSV (path,label[,case_id,site], one label per file), and a
video with `<stem>.labels.csv` (frame,in_plane,cleft). A label map (labels.json beside the set, as
the simulator writes it, else the default below) says which labels count as a cleft.

Three roles never mix: the calibration set, the validation set (anything that tunes) and the locked
QA set (judges only). check_leakage refuses two that share files or case ids."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file

DEFAULT_POSITIVE = ("cleft", "unilateral_left", "unilateral_right", "bilateral", "unilateral")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class Record:
    """A frame's metadata, without its pixels."""

    key: str  # unique within the set: relative path (and frame index for cines and videos)
    file: Path
    frame: int | None
    label: str
    positive: bool
    case_id: str | None
    site: str | None
    severity: float | None


@dataclass
class Sample:
    key: str
    image: np.ndarray  # uint8 grey or BGR
    label: str
    positive: bool
    case_id: str | None
    site: str | None
    severity: float | None


def _positive_labels(root: Path) -> set[str]:
    labels = root / "labels.json"
    if labels.is_file():
        try:
            data = json.loads(labels.read_text())
            return set(data.get("positive", DEFAULT_POSITIVE))
        except json.JSONDecodeError:
            raise CleftEdgeError(f"{labels} is not valid JSON", "a label map with a 'positive' list",
                                 "fix or remove labels.json") from None
    return set(DEFAULT_POSITIVE)


class Dataset:
    def __init__(self, root: Path, records: list[Record], kind: str):
        self.root = root
        self.records = records
        self.kind = kind
        self._hash: str | None = None

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Sample]:
        return self.samples(self.records)

    def samples(self, records: list[Record]) -> Iterator[Sample]:
        """Decode frames one by one; a video or cine is read sequentially, never whole."""
        by_file: dict[Path, list[Record]] = {}
        for r in records:
            by_file.setdefault(r.file, []).append(r)
        for file, recs in by_file.items():
            if recs[0].frame is None:
                for r in recs:
                    yield _sample(r, _read_image(file))
            else:
                yield from _stream_frames(file, recs)

    def content_hash(self) -> str:
        """SHA-256 over every file's bytes and every frame's label, in a stable order."""
        if self._hash is None:
            h = hashlib.sha256()
            files = {}
            for r in sorted(self.records, key=lambda r: r.key):
                if r.file not in files:
                    files[r.file] = sha256_file(r.file)
                h.update(f"{r.key}\0{files[r.file]}\0{r.label}\0{r.case_id or ''}\n".encode())
            self._hash = h.hexdigest()
        return self._hash

    def file_hashes(self) -> set[str]:
        return {sha256_file(f) for f in {r.file for r in self.records}}

    def case_ids(self) -> set[str]:
        return {r.case_id for r in self.records if r.case_id}


def _sample(r: Record, image: np.ndarray) -> Sample:
    return Sample(r.key, image, r.label, r.positive, r.case_id, r.site, r.severity)


def _read_image(path: Path) -> np.ndarray:
    from cleftedge.runtime.sources.dicom import is_dicom, iter_dicom_frames

    if is_dicom(path):
        return next(iter(iter_dicom_frames(path)))
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise CleftEdgeError(f"{path} is not a readable image", "png, jpg, bmp, tif or DICOM", "fix or remove it")
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img if img.dtype == np.uint8 else cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def _stream_frames(file: Path, recs: list[Record]) -> Iterator[Sample]:
    from cleftedge.runtime.sources.dicom import is_dicom, iter_dicom_frames

    wanted = {r.frame: r for r in recs}
    frames = iter_dicom_frames(file) if is_dicom(file) else _video_frames(file)
    for i, img in enumerate(frames):
        if i in wanted:
            yield _sample(wanted[i], img)
        if i >= max(wanted):
            break


def _video_frames(file: Path) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(str(file))
    try:
        while True:
            ok, img = cap.read()
            if not ok:
                return
            yield img
    finally:
        cap.release()


def open_dataset(path: str | Path) -> Dataset:
    from cleftedge.calibration import dataset_readers as readers

    p = Path(path)
    if not p.exists():
        raise CleftEdgeError(f"data set {p} does not exist", "a folder, a manifest CSV or a video with labels",
                             "check the path")
    if p.is_file() and p.suffix.lower() == ".csv":
        return readers.from_manifest(p)
    if p.is_file():
        return readers.from_video(p)
    if (p / "manifest.csv").is_file():
        return readers.from_manifest(p / "manifest.csv")
    if (p / "labels.csv").is_file():
        return readers.from_manifest(p / "labels.csv")
    return readers.from_class_folders(p)


def check_leakage(sets: dict[str, Dataset]) -> None:
    """Refuse (one line) any two sets that share a file (by content) or a case id."""
    names = list(sets)
    hashes = {n: sets[n].file_hashes() for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared_files = hashes[a] & hashes[b]
            shared_cases = sets[a].case_ids() & sets[b].case_ids()
            if shared_files or shared_cases:
                what = (f"{len(shared_files)} files" if shared_files else "") + \
                    (" and " if shared_files and shared_cases else "") + \
                    (f"{len(shared_cases)} case ids (e.g. {sorted(shared_cases)[0]})" if shared_cases else "")
                raise CleftEdgeError(f"the {a} and the {b} share {what}",
                                     "disjoint data sets for calibration, validation and QA",
                                     "split by case, or pass --allow-overlap if you really mean it")


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
