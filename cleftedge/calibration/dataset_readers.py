"""Readers that turn the supported layouts into Dataset records (metadata only, no pixels).

A DICOM cine listed without a frame number gives one record per frame (its header says how many);
frames of one file that has no case id are grouped by file when the subset spreads over cases."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from cleftedge.calibration.data_store import LOCAL, Store
from cleftedge.calibration.dataset_records import IMAGE_SUFFIXES, VIDEO_SUFFIXES, Dataset, Record, read_csv
from cleftedge.calibration.label_map import load_label_map
from cleftedge.errors import CleftEdgeError

DOCS = "see docs/calibration.md"


def _severity(text: object, positive: bool, where: str) -> float | None:
    """A frame's severity: empty for unknown, else a number in [0, 1], and 0 for a no-cleft label."""
    text = (text or "").strip() if isinstance(text, str) or text is None else str(text)
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise CleftEdgeError(f"{where} has severity '{text}'", "a number from 0 to 1 (0 for no cleft), or empty",
                             "fix the severity column")
    if not positive and value != 0.0:
        raise CleftEdgeError(f"{where} has severity {value:g} for a label without a cleft", "severity 0 (or empty) "
                             "for no-cleft labels", "fix the label or the severity")
    return value


def _inside(root: Path, rel: str, where: str, store: Store) -> Path:
    """The file a manifest row names, which must lie inside the set's folder (after links resolve)."""
    file = store.inside(root, rel)
    if file is None:
        raise CleftEdgeError(f"{where} lists '{rel}', outside the data set's folder {root}",
                             "paths inside the folder that holds the manifest",
                             "copy the file into the set's folder (a locked set holds its own files)")
    return file


def _int(text: object, where: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise CleftEdgeError(f"{where} has frame '{text}'", "a frame number (0, 1, 2, ...)", "fix the CSV") from None
    if value < 0:
        raise CleftEdgeError(f"{where} has frame {value}", "a frame number (0, 1, 2, ...)", "fix the CSV")
    return value


def dicom_frame_count(file: Path, store: Store = LOCAL) -> int | None:
    """Frames in a DICOM file (header only), or None when the file is not DICOM."""
    from cleftedge.runtime.sources.dicom import read_header

    if not store.is_dicom(file):
        return None
    with store.local(file) as local:
        ds = read_header(local)
    try:
        return max(1, int(getattr(ds, "NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def _file_records(listed: Record, store: Store) -> list[Record]:
    """The records of a listed file: a DICOM cine listed without a frame number gives one per frame;
    a frame's key gets its #number."""
    if listed.frame is None:
        n = dicom_frame_count(listed.file, store)
        if n is not None and n > 1:
            return [replace(listed, key=f"{listed.key}#{i}", frame=i) for i in range(n)]
        return [listed]
    return [replace(listed, key=f"{listed.key}#{listed.frame}")]


def _unique(records: list[Record], where: Path) -> list[Record]:
    seen: set[str] = set()
    for r in records:
        if r.key in seen:
            raise CleftEdgeError(f"{where} lists {r.key} twice", "each frame once", "remove the duplicate row")
        seen.add(r.key)
    if not records:
        raise CleftEdgeError(f"{where} lists no frames", "at least one labelled frame", DOCS)
    return records


def from_manifest(manifest: Path, store: Store = LOCAL) -> Dataset:
    """A data set from a manifest CSV (path,label[,case_id,site,severity,frame]), paths relative to it."""
    root = manifest.parent
    labels = load_label_map(root, store)
    rows = read_csv(manifest, store)
    if not rows or "path" not in rows[0] or "label" not in rows[0]:
        raise CleftEdgeError(f"{manifest} has no path,label columns", "a CSV with path,label[,case_id,site,severity]",
                             DOCS)
    files = []
    for line, row in enumerate(rows, start=2):
        where = f"{manifest.name} line {line}"
        rel = (row.get("path") or "").strip()
        file = _inside(root, rel, where, store) if rel else root
        if not rel or not store.is_file(file):
            raise CleftEdgeError(f"{where} lists '{rel}', which does not exist", "every listed file present",
                                 "fix the manifest or restore the file")
        files.append(file)
    store.prefetch(files)  # a remote set's files fetched (and hashed) at once, not one round trip after another
    records: list[Record] = []
    for line, (row, file) in enumerate(zip(rows, files, strict=True), start=2):
        where = f"{manifest.name} line {line}"
        label = (row.get("label") or "").strip()
        positive = labels.is_positive(label, where)
        frame = _int(row["frame"], where) if (row.get("frame") or "").strip() else None
        listed = Record(row["path"].strip(), file, frame, label, positive, row.get("case_id") or None,
                        row.get("site") or None, _severity(row.get("severity"), positive, where))
        records.extend(_file_records(listed, store))
    return Dataset(root, _unique(records, manifest), "manifest", store)


def from_class_folders(root: Path, store: Store = LOCAL) -> Dataset:
    """A data set from one folder per label under `root` (images, videos and DICOM files)."""
    labels = load_label_map(root, store)
    folders = [p for p in store.children(root) if store.is_dir(p)]
    files = {folder: [f for f in store.children(folder) if f.suffix.lower() in IMAGE_SUFFIXES + (".dcm",)]
             for folder in folders}
    store.prefetch(f for fs in files.values() for f in fs)
    records: list[Record] = []
    for folder in folders:
        if not files[folder]:
            continue
        positive = labels.is_positive(folder.name, f"folder {folder.name}/")
        for f in files[folder]:
            records.extend(_file_records(Record(f"{folder.name}/{f.name}", store.resolve(f), None, folder.name,
                                                positive, None, None, None), store))
    if not records:
        raise CleftEdgeError(f"{root} holds no labelled frames", "one sub-folder per label with images, a "
                             "manifest.csv or a labels.csv", DOCS)
    return Dataset(root, records, "folders", store)


def _frame_count(file: Path, store: Store) -> int:
    n = dicom_frame_count(file, store)
    if n is not None:
        return n
    if file.suffix.lower() not in VIDEO_SUFFIXES:
        raise CleftEdgeError(f"{file} is neither a video, a DICOM cine nor a CSV manifest", "a folder, a manifest "
                             "CSV, or a video or DICOM cine with <stem>.labels.csv", DOCS)
    with store.local(file) as local:
        return _video_frame_count(local, file)


def _video_frame_count(local: Path, file: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(local))
    try:
        if not cap.isOpened():
            raise CleftEdgeError(f"cannot open video {file}", "a video OpenCV's FFmpeg can read", "convert it to mp4")
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or 1 << 30  # unknown count: checked while reading
    finally:
        cap.release()


def from_frame_labels(video: Path, store: Store = LOCAL) -> Dataset:
    """A video or DICOM cine with `<stem>.labels.csv`: frame,label or frame,in_plane,cleft (the simulator's)."""
    labels_csv = video.with_name(video.stem + ".labels.csv")
    if not store.is_file(labels_csv):
        raise CleftEdgeError(f"{video.name} has no {labels_csv.name} beside it", "a per-frame labels CSV "
                             "(frame,label or frame,in_plane,cleft)", "write one, or use 'cleftedge simulate sweep'")
    count = _frame_count(video, store)
    rows = read_csv(labels_csv, store)
    if not rows or "frame" not in rows[0] or not ({"label"} <= set(rows[0]) or {"in_plane", "cleft"} <= set(rows[0])):
        raise CleftEdgeError(f"{labels_csv.name} has no frame,label or frame,in_plane,cleft columns",
                             "frame,label[,case_id,site] or frame,in_plane,cleft", DOCS)
    label_map = load_label_map(video.parent, store)
    records = []
    for line, row in enumerate(rows, start=2):
        where = f"{labels_csv.name} line {line}"
        frame = _int(row["frame"], where)
        if frame >= count:
            raise CleftEdgeError(f"{where} labels frame {frame}, but {video.name} has {count} frames",
                                 "labels only for frames the file holds", "fix the labels CSV")
        label = (row.get("label") or "").strip() or _sweep_label(row, where)
        positive = label_map.is_positive(label, where)
        records.append(Record(f"{video.name}#{frame}", store.resolve(video), frame, label, positive,
                              row.get("case_id") or video.stem, row.get("site") or None,
                              _severity(row.get("severity"), positive, where)))
    return Dataset(video.parent, _unique(records, labels_csv), "video", store)


def _sweep_label(row: dict, where: str) -> str:
    in_plane, cleft = (row.get("in_plane") or "").strip(), (row.get("cleft") or "").strip()
    if in_plane not in ("0", "1") or cleft not in ("0", "1"):
        raise CleftEdgeError(f"{where} has in_plane={in_plane!r} cleft={cleft!r}", "0 or 1 in each", "fix the CSV")
    if in_plane == "0":
        return "off_plane"
    return "cleft" if cleft == "1" else "normal"


from_video = from_frame_labels  # the name other code used first
