"""A data set's records and their pixels: `Record` (one frame's metadata), `Sample` (its pixels),
`Dataset` (records streamed one frame at a time, content hashes) and the CSV reader the layouts
share. The readers (dataset_readers.py) build these; `datasets.open_dataset` picks the reader.

Only metadata is held (one small Record per frame); pixels are decoded when iterated, one frame at a
time, so memory does not grow with the set."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cleftedge.calibration.data_store import LOCAL, Store, shown
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.image_reader import IMAGE_SUFFIXES, read_image, video_frames  # noqa: F401 (the cart's own reader)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")


@dataclass(frozen=True)
class Record:
    """A frame's metadata, without its pixels."""

    key: str  # unique within the set: relative path (and #frame for cines and videos)
    file: Path
    frame: int | None  # None: a single image (or a single-frame DICOM)
    label: str
    positive: bool
    case_id: str | None
    site: str | None
    severity: float | None


@dataclass
class Sample:
    key: str
    image: np.ndarray  # uint8 grey (H, W) or BGR (H, W, 3)
    label: str
    positive: bool
    case_id: str | None
    site: str | None
    severity: float | None


class Dataset:
    """The records of one data set (metadata only) and how to stream their pixels; `kind` names its layout."""

    def __init__(self, root: Path, records: list[Record], kind: str, store: Store = LOCAL) -> None:
        self.root = root
        self.records = records
        self.kind = kind
        self.store = store  # where the files lie: the local disk, or a filesystem pyarrow reads (data_store.py)
        self._hash: str | None = None
        self._file_hash: dict[Path, str] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Sample]:
        return self.samples(self.records)

    def samples(self, records: list[Record]) -> Iterator[Sample]:
        """Decode frames one by one, file by file; a video or cine is read sequentially, never whole."""
        by_file: dict[Path, list[Record]] = {}
        for r in records:
            by_file.setdefault(r.file, []).append(r)
        for file, recs in by_file.items():
            singles = [r for r in recs if r.frame is None]
            for r in singles:
                with self.store.local(file) as local:
                    image = read_image(local)
                yield _sample(r, image)
            if len(singles) < len(recs):
                with self.store.local(file) as local:
                    yield from _stream_frames(local, [r for r in recs if r.frame is not None])

    def file_sha256(self, file: Path) -> str:
        """SHA-256 of one file of the set (hashed once, then remembered)."""
        if file not in self._file_hash:
            self._file_hash[file] = self.store.sha256(file)
        return self._file_hash[file]

    def content_hash(self) -> str:
        """SHA-256 over every frame's key, its file's bytes (streamed), label and case id, in key order:
        the same files and labels give the same hash wherever the set lies; any change gives another."""
        if self._hash is None:
            h = hashlib.sha256()
            for r in sorted(self.records, key=lambda r: r.key):
                h.update(f"{r.key}\0{self.file_sha256(r.file)}\0{r.label}\0{r.case_id or ''}\n".encode())
            self._hash = h.hexdigest()
        return self._hash

    def file_hashes(self) -> set[str]:
        """The SHA-256 of every file the set's records come from."""
        return {self.file_sha256(f) for f in {r.file for r in self.records}}

    def case_ids(self) -> set[str]:
        """Every case id the records name (records without one are left out)."""
        return {r.case_id for r in self.records if r.case_id}

    def describe(self) -> dict:
        """Path, kind, frame, positive and case counts and content hash, for reports."""
        return {"path": shown(self.store.uri or self.root), "kind": self.kind, "frames": len(self.records),
                "positives": sum(r.positive for r in self.records), "cases": len(self.case_ids()),
                "content_hash": self.content_hash()}


def _sample(r: Record, image: np.ndarray) -> Sample:
    return Sample(r.key, image, r.label, r.positive, r.case_id, r.site, r.severity)


def _stream_frames(file: Path, recs: list[Record]) -> Iterator[Sample]:
    from cleftedge.runtime.sources.dicom import is_dicom, iter_dicom_frames

    wanted: dict[int, list[Record]] = {}
    for r in recs:
        wanted.setdefault(r.frame, []).append(r)
    last = max(wanted)
    frames = iter_dicom_frames(file) if is_dicom(file) else video_frames(file)
    for i, img in enumerate(frames):
        for r in wanted.get(i, ()):
            yield _sample(r, img)
        if i >= last:
            return
    raise CleftEdgeError(f"{file.name} ended before frame {last}, which its labels list", "labels only for frames "
                         "the file holds", "fix the labels CSV or use the complete file")


def read_csv(path: Path, store: Store = LOCAL) -> list[dict]:
    """The rows of a UTF-8 CSV with a header (a BOM is fine); one-line CleftEdgeError otherwise."""
    try:
        return list(csv.DictReader(io.StringIO(store.read_text(path, "utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CleftEdgeError(f"{path} is not a readable CSV ({type(exc).__name__})", "a UTF-8 CSV with a header row",
                             "save it again as CSV (UTF-8)") from None
