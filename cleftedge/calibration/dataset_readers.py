"""Readers that turn the supported layouts into Dataset records (metadata only, no pixels)."""

from __future__ import annotations

from pathlib import Path

from cleftedge.calibration.datasets import IMAGE_SUFFIXES, Dataset, Record, _positive_labels, read_csv
from cleftedge.errors import CleftEdgeError


def _float(text) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def from_manifest(manifest: Path) -> Dataset:
    root = manifest.parent
    positive = _positive_labels(root)
    rows = read_csv(manifest)
    if not rows or "path" not in rows[0] or "label" not in rows[0]:
        raise CleftEdgeError(f"{manifest} has no path,label columns", "a CSV with path,label[,case_id,site]",
                             "see docs/calibration.md")
    records = []
    for row in rows:
        file = (root / row["path"]).resolve()
        if not file.is_file():
            raise CleftEdgeError(f"{manifest.name} lists {row['path']}, which does not exist",
                                 "every listed file present", "fix the manifest or restore the file")
        frame = int(row["frame"]) if row.get("frame") not in (None, "") else None
        key = row["path"] if frame is None else f"{row['path']}#{frame}"
        records.append(Record(key, file, frame, row["label"], row["label"] in positive, row.get("case_id") or None,
                              row.get("site") or None, _float(row.get("severity"))))
    return Dataset(root, records, "manifest")


def from_class_folders(root: Path) -> Dataset:
    positive = _positive_labels(root)
    records = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES or f.suffix.lower() == ".dcm":
                key = f"{folder.name}/{f.name}"
                records.append(Record(key, f.resolve(), None, folder.name, folder.name in positive, None, None, None))
    if not records:
        raise CleftEdgeError(f"{root} holds no labelled frames", "one sub-folder per label with images, or a "
                             "manifest.csv", "see docs/calibration.md")
    return Dataset(root, records, "folders")


def from_video(video: Path) -> Dataset:
    labels = video.with_name(video.stem + ".labels.csv")
    if not labels.is_file():
        raise CleftEdgeError(f"{video.name} has no {labels.name} beside it", "a per-frame labels CSV "
                             "(frame,in_plane,cleft)", "write one, or use 'cleftedge simulate sweep'")
    records = []
    for row in read_csv(labels):
        frame = int(row["frame"])
        if row.get("label"):
            label = row["label"]
        elif row.get("in_plane") == "0":
            label = "off_plane"
        else:
            label = "cleft" if row.get("cleft") == "1" else "normal"
        records.append(Record(f"{video.name}#{frame}", video.resolve(), frame, label, label in _positive_labels(
            video.parent) | {"cleft"}, row.get("case_id") or video.stem, row.get("site") or None, None))
    return Dataset(video.parent, records, "video")
