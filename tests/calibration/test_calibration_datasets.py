"""Data sets of every kind written to disk by the test (PNG folders, manifest CSV, DICOM cine + single
frame, mp4 video + per-frame labels), the label map, the leakage check, and one-line refusals."""

import json
import shutil

import cv2
import numpy as np
import pytest
from pydicom.dataset import Dataset as DicomDataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, UltrasoundMultiFrameImageStorage, generate_uid

from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.leakage import check_leakage
from cleftedge.errors import CleftEdgeError


def grey(value: int, h=24, w=32) -> np.ndarray:
    img = np.full((h, w), value, np.uint8)
    img[: h // 2, : w // 2] = 255 - value  # not flat, so a decode mix-up shows
    return img


def write_dicom(path, frames: np.ndarray) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = DicomDataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, "US"
    ds.Rows, ds.Columns = frames.shape[1:]
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    ds.PhotometricInterpretation, ds.SamplesPerPixel = "MONOCHROME2", 1
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = frames.astype(np.uint8).tobytes()
    ds.save_as(path, enforce_file_format=True)


def folder_set(root, counts=None) -> None:
    for i, (label, n) in enumerate((counts or {"normal": 3, "bilateral": 2}).items()):
        (root / label).mkdir(parents=True)
        for j in range(n):
            cv2.imwrite(str(root / label / f"{j}.png"), grey(10 * i + j))


def test_class_folders_stream_samples_with_the_default_label_map(tmp_path):
    folder_set(tmp_path / "set")
    ds = open_dataset(tmp_path / "set")
    assert ds.kind == "folders" and len(ds) == 5
    samples = list(ds)
    assert {s.key: s.positive for s in samples} == {"bilateral/0.png": True, "bilateral/1.png": True,
                                                   "normal/0.png": False, "normal/1.png": False,
                                                   "normal/2.png": False}
    normal0 = next(s for s in samples if s.key == "normal/0.png")
    assert np.array_equal(normal0.image, grey(0)) and normal0.image.dtype == np.uint8
    assert not any(isinstance(v, np.ndarray) for r in ds.records for v in vars(r).values())  # metadata only


def test_labels_json_decides_positive_and_refuses_unknown_labels(tmp_path, capsys):
    folder_set(tmp_path / "set", {"lip_gap": 2, "healthy": 2})
    (tmp_path / "set" / "labels.json").write_text(json.dumps({"positive": ["lip_gap"], "negative": ["healthy"]}))
    ds = open_dataset(tmp_path / "set")
    assert sorted((r.label, r.positive) for r in ds.records) == [("healthy", False)] * 2 + [("lip_gap", True)] * 2
    folder_set(tmp_path / "odd", {"strange": 1})
    with pytest.raises(CleftEdgeError, match="label 'strange'"):
        open_dataset(tmp_path / "odd")


def test_manifest_carries_case_site_severity_and_refuses_a_missing_file(tmp_path):
    folder_set(tmp_path / "m")
    (tmp_path / "m" / "manifest.csv").write_text(
        "path,label,case_id,site,severity\nnormal/0.png,normal,c1,A,0\nbilateral/0.png,bilateral,c2,B,0.3\n")
    ds = open_dataset(tmp_path / "m")
    assert ds.kind == "manifest" and ds.case_ids() == {"c1", "c2"}
    s = [x for x in ds if x.key == "bilateral/0.png"][0]
    assert (s.label, s.positive, s.case_id, s.site, s.severity) == ("bilateral", True, "c2", "B", 0.3)
    (tmp_path / "m" / "manifest.csv").write_text("path,label\nnormal/9.png,normal\n")
    with pytest.raises(CleftEdgeError, match="normal/9.png"):
        open_dataset(tmp_path / "m")


def test_dicom_cine_and_single_frame_with_a_labels_csv(tmp_path):
    root = tmp_path / "dcm"
    root.mkdir()
    cine = np.stack([grey(40), grey(80), grey(120)])
    write_dicom(root / "cine.dcm", cine)
    write_dicom(root / "still.dcm", grey(200)[None])
    (root / "labels.csv").write_text("path,label,case_id\ncine.dcm,unilateral_left,p1\nstill.dcm,normal,p2\n")
    ds = open_dataset(root)
    assert sorted(r.key for r in ds.records) == ["cine.dcm#0", "cine.dcm#1", "cine.dcm#2", "still.dcm"]
    by_key = {s.key: s for s in ds}
    for i in range(3):
        assert np.array_equal(by_key[f"cine.dcm#{i}"].image, cine[i]) and by_key[f"cine.dcm#{i}"].positive
    assert np.array_equal(by_key["still.dcm"].image, grey(200)) and not by_key["still.dcm"].positive


def test_video_with_per_frame_sweep_labels(tmp_path):
    video = tmp_path / "sweep.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    for v in (30, 90, 150, 210):
        writer.write(cv2.cvtColor(grey(v), cv2.COLOR_GRAY2BGR))
    writer.release()
    (tmp_path / "sweep.labels.csv").write_text("frame,in_plane,cleft\n0,0,0\n1,1,0\n3,1,1\n")
    ds = open_dataset(video)
    samples = list(ds)
    assert [(s.key, s.label, s.positive) for s in samples] == [
        ("sweep.avi#0", "off_plane", False), ("sweep.avi#1", "normal", False), ("sweep.avi#3", "cleft", True)]
    assert abs(float(samples[2].image.mean()) - float(grey(210).mean())) < 12  # frame 3, not frame 2
    (tmp_path / "sweep.labels.csv").write_text("frame,in_plane,cleft\n9,1,1\n")
    with pytest.raises(CleftEdgeError, match="frame 9"):
        open_dataset(video)


def test_content_hash_sees_pixels_and_labels_not_the_location(tmp_path):
    folder_set(tmp_path / "a")
    h = open_dataset(tmp_path / "a").content_hash()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert open_dataset(tmp_path / "b").content_hash() == h
    cv2.imwrite(str(tmp_path / "b" / "normal" / "0.png"), grey(99))
    assert open_dataset(tmp_path / "b").content_hash() != h


def test_leakage_by_file_content_and_by_case_id(tmp_path):
    folder_set(tmp_path / "calib")
    (tmp_path / "val" / "normal").mkdir(parents=True)
    shutil.copy(tmp_path / "calib" / "normal" / "1.png", tmp_path / "val" / "normal" / "renamed.png")
    sets = {"calibration set": open_dataset(tmp_path / "calib"), "QA set": open_dataset(tmp_path / "val")}
    with pytest.raises(CleftEdgeError, match="calibration set and the QA set share 1 file"):
        check_leakage(sets)

    for name, case in (("x", "case-7"), ("y", "case-7")):
        folder_set(tmp_path / name, {"normal": 1})
        cv2.imwrite(str(tmp_path / name / "normal" / "0.png"), grey(201 if name == "x" else 202))
        (tmp_path / name / "manifest.csv").write_text(f"path,label,case_id\nnormal/0.png,normal,{case}\n")
    with pytest.raises(CleftEdgeError, match="case-7"):
        check_leakage({"validation set": open_dataset(tmp_path / "x"), "QA set": open_dataset(tmp_path / "y")})
    check_leakage({"calibration set": open_dataset(tmp_path / "calib"), "validation set": open_dataset(tmp_path / "x")})


@pytest.mark.parametrize("make,needle", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "holds no labelled frames"),
    (lambda p: (p.mkdir(), (p / "manifest.csv").write_text("file,class\na.png,normal\n")), "no path,label columns"),
])
def test_bad_data_sets_are_one_line_errors(tmp_path, make, needle):
    path = tmp_path / "d"
    make(path)
    with pytest.raises(CleftEdgeError, match=needle) as info:
        open_dataset(path)
    assert "\n" not in str(info.value)
