"""Small real artifacts for the calibration tests: a tiny FP32 ONNX (two convolutions and a gemm
head, named nodes, spec in the metadata) and labelled frame sets written to disk (manifest with
cases and sites, labels.json), where bright patches mean a cleft."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

SIZE = 32
LABELS = ("normal", "off_plane", "unilateral_left", "bilateral")
POSITIVE = ("unilateral_left", "bilateral")


def spec_dict(threshold: float = 0.5) -> dict:
    return {"model_name": "tiny-calib", "model_version": "1",
            "input": {"name": "image", "height": SIZE, "width": SIZE, "channels": 1, "color": "GRAY"},
            "output": {"name": "logits", "class_names": ["normal", "cleft"], "positive_classes": [1],
                       "kind": "logits", "activation": "softmax", "threshold": threshold}}


def tiny_model(path: Path, seed: int = 0, opset: int = 17) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w1 = np.abs(rng.normal(0.2, 0.1, (4, 1, 5, 5)))
    b1 = -w1.sum(axis=(1, 2, 3)) * 0.39
    w2 = np.abs(rng.normal(0.3, 0.1, (4, 4, 3, 3))) * np.eye(4)[:, :, None, None] + 0.01
    b2 = np.zeros(4)
    gw = np.array([[0.0] * 4, [0.3, 0.25, 0.2, 0.25]]) * 4
    gb = np.array([0.0, -0.5])
    arrays = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "gw": gw, "gb": gb}
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in arrays.items()]
    nodes = [helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], pads=[2, 2, 2, 2], name="conv1"),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "gw", "gb"], ["logits"], transB=1, name="head")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                             ["N", 1, SIZE, SIZE])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    model.metadata_props.add(key="cleftedge.spec", value=json.dumps(spec_dict()))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def frame(positive: bool, rng) -> np.ndarray:
    img = rng.normal(90, 12, (48, 48)).clip(0, 255)
    if positive:
        y, x = rng.integers(8, 30, 2)
        img[y:y + 14, x:x + 14] += rng.uniform(60, 120)
    return img.clip(0, 255).astype(np.uint8)


def write_set(root: Path, n: int = 80, seed: int = 1, prefix: str = "c", per_case: int = 4,
              sites=("site-A", "site-B"), labels_json: bool = True) -> Path:
    """n PNG frames, one folder per label, manifest.csv path,label,case_id,site,severity."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        case = i // per_case
        label = LABELS[case % len(LABELS)]
        rel = f"{label}/{prefix}{i:04d}.png"
        (root / label).mkdir(exist_ok=True)
        cv2.imwrite(str(root / rel), frame(label in POSITIVE, rng))
        rows.append([rel, label, f"{prefix}-case{case:03d}", sites[case % len(sites)],
                     "0.5" if label in POSITIVE else "0"])
    with open(root / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "case_id", "site", "severity"])
        w.writerows(rows)
    if labels_json:
        (root / "labels.json").write_text(json.dumps({"positive": list(POSITIVE), "labels": list(LABELS)}))
    return root


def write_dicom(path: Path, frames: list[np.ndarray]) -> Path:
    """An uncompressed MONOCHROME2 DICOM; several frames make a cine loop."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    ds.Rows, ds.Columns = frames[0].shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    ds.PixelData = np.stack(frames).tobytes()
    ds.save_as(str(path), enforce_file_format=True)
    return path
