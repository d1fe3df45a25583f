"""The one image reader: the same file gives bit-identical frames and tensors on the cart (`run`'s
sources) and in QA and calibration (the data sets), for every file type; non-finite pixels are
refused everywhere."""

import csv
import json

import cv2
import numpy as np
import pytest
from sources_helpers import write_mono

from cleftedge.calibration.datasets import open_dataset
from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.image_reader import read_image, to_uint8
from cleftedge.runtime.preprocess import Preprocessor
from cleftedge.runtime.sources import open_source
from cleftedge.spec import InputSpec

SPEC = InputSpec(name="image", height=32, width=32, channels=1, color="GRAY")
LABELS = {"positive": ["cleft"], "labels": ["normal", "cleft"]}


def _gradient(h=40, w=48, bits=8, seed=0):
    rng = np.random.default_rng(seed)
    top = 255 if bits == 8 else 65535
    img = np.linspace(0, top, h * w).reshape(h, w) + rng.normal(0, top / 50, (h, w))
    return np.clip(img, 0, top).astype(np.uint8 if bits == 8 else np.uint16)


def _files(root):
    """One file of each kind: (name, path, number of frames)."""
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for name, img, suffix in (("png8", _gradient(), ".png"), ("png16", _gradient(bits=16), ".png"),
                              ("png16_white", np.full((40, 48), 65535, np.uint16), ".png"),
                              ("png_bgr", cv2.cvtColor(_gradient(), cv2.COLOR_GRAY2BGR), ".png"),
                              ("tif8", _gradient(seed=1), ".tif"), ("tif16", _gradient(bits=16, seed=2), ".tif"),
                              ("jpeg", cv2.cvtColor(_gradient(seed=3), cv2.COLOR_GRAY2BGR), ".jpg")):
        path = root / f"{name}{suffix}"
        assert cv2.imwrite(str(path), img)
        made.append((name, path, 1))
    made.append(("dicom8", write_mono(root / "cine8.dcm", np.stack([_gradient(seed=s) for s in range(3)])), 3))
    made.append(("dicom16", write_mono(root / "cine16.dcm", np.stack([_gradient(bits=16, seed=s) for s in range(2)]),
                                       bits=16), 2))
    video = cv2.VideoWriter(str(root / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (48, 40))
    for s in range(4):
        video.write(cv2.cvtColor(_gradient(seed=10 + s), cv2.COLOR_GRAY2BGR))
    video.release()
    made.append(("video", root / "clip.mp4", 4))
    return made


def _through_run(path):
    """The frames `run` scores: a still image is played as a one-file folder, the rest directly."""
    if path.suffix in (".dcm", ".mp4"):
        with open_source(str(path)) as src:
            return [f.image for f in src]
    folder = path.parent / f"run-{path.stem}"
    folder.mkdir(exist_ok=True)
    (folder / path.name).write_bytes(path.read_bytes())
    with open_source(str(folder)) as src:
        return [f.image for f in src]


def _through_qa(path, frames):
    """The frames QA and calibration score: a manifest (or a video's labels CSV) naming the file."""
    root = path.parent
    (root / "labels.json").write_text(json.dumps(LABELS))
    if path.suffix == ".mp4":
        (root / "clip.labels.csv").write_text("frame,label\n" + "".join(f"{i},normal\n" for i in range(frames)))
        ds = open_dataset(path)
    else:
        manifest = root / f"manifest-{path.stem}.csv"
        with open(manifest, "w", newline="") as f:
            csv.writer(f).writerows([["path", "label", "case_id"], [path.name, "normal", "c1"]])
        ds = open_dataset(manifest)
    return [s.image for s in ds]


def test_every_file_type_gives_bit_identical_frames_and_tensors_in_run_and_in_qa(tmp_path):
    pre = Preprocessor(SPEC)
    for name, path, frames in _files(tmp_path / "files"):
        run, qa = _through_run(path), _through_qa(path, frames)
        assert len(run) == len(qa) == frames, name
        for a, b in zip(run, qa, strict=True):
            assert a.dtype == b.dtype == np.uint8 and a.shape == b.shape and np.array_equal(a, b), name
            assert np.array_equal(pre(a), pre(b)), name


def test_a_constant_white_16_bit_frame_is_white_in_qa_as_on_the_cart(tmp_path):
    # the old QA reader stretched every 16-bit frame to its own min..max: this frame became 0 (black)
    path = tmp_path / "white.png"
    cv2.imwrite(str(path), np.full((20, 20), 65535, np.uint16))
    assert _through_qa(path, 1)[0].min() == 255 == read_image(path).max()
    assert _through_run(path)[0].min() == 255


def test_16_bit_values_map_by_the_whole_range():
    v = np.array([[0, 257, 32896, 65535]], np.uint16)
    assert to_uint8(v).tolist() == [[0, 1, 128, 255]]


def _nan_tiff(path):
    img = np.full((24, 24), 0.5, np.float32)
    img[3, 4] = np.nan
    assert cv2.imwrite(str(path), img)
    return path


def test_non_finite_pixels_are_refused_by_the_reader(tmp_path):
    with pytest.raises(CleftEdgeError) as e:
        read_image(_nan_tiff(tmp_path / "nan.tif"))
    assert "1 non-finite pixels" in e.value.line() and "nan.tif" in e.value.line()
    with pytest.raises(CleftEdgeError, match="float image with values from"):
        to_uint8(np.full((4, 4), 300.0, np.float32))
    assert to_uint8(np.full((2, 2), 1.0, np.float32)).max() == 255  # floats in 0..1 are scaled


def test_non_finite_frames_are_refused_by_run_and_qa(tmp_path, capsys):
    folder = tmp_path / "frames"
    folder.mkdir()
    _nan_tiff(folder / "f0.tif")
    model = tmp_path / "mean.onnx"
    _mean_model(model)
    assert main(["run", "--model", str(model), "--source", str(folder), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "non-finite pixels" in err and err.count("\n") == 1
    (folder / "labels.json").write_text(json.dumps(LABELS))
    (folder / "manifest.csv").write_text("path,label,case_id\nf0.tif,normal,c1\n")
    assert main(["qa", "--reference", str(model), "--candidate", str(model), "--data", str(folder),
                 "--report", str(tmp_path / "rep")]) == 1
    err = capsys.readouterr().err
    assert "non-finite pixels" in err and err.count("\n") == 1 and not (tmp_path / "rep").exists()
    assert main(["calibrate", "--model", str(model), "--data", str(folder), "--target", "onnxruntime",
                 "--out", str(tmp_path / "cal.onnx")]) == 1
    err = capsys.readouterr().err
    assert "non-finite pixels" in err and err.count("\n") == 1 and not (tmp_path / "cal.onnx").exists()


def _mean_model(path):
    """A model whose cleft score rises with the mean brightness: any decoding difference shows."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.array([[0.0], [8.0]], np.float32), "w")
    b = numpy_helper.from_array(np.array([0.0, -4.0], np.float32), "b")
    nodes = [helper.make_node("GlobalAveragePool", ["image"], ["p"]), helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["logits"], transB=1)]
    graph = helper.make_graph(nodes, "mean", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                             ["N", 1, 32, 32])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    spec = {"model_name": "mean", "model_version": "1",
            "input": {"name": "image", "height": 32, "width": 32, "channels": 1, "color": "GRAY"},
            "output": {"name": "logits", "class_names": ["normal", "cleft"], "positive_classes": [1],
                       "kind": "logits", "activation": "softmax", "threshold": 0.5}}
    model.metadata_props.add(key="cleftedge.spec", value=json.dumps(spec))
    onnx.save(model, str(path))
    return path


def test_the_same_16_bit_frame_scores_the_same_through_run_and_through_qa(tmp_path, capsys):
    folder = tmp_path / "frames16"
    folder.mkdir()
    for i, img in enumerate((_gradient(bits=16), np.full((40, 48), 65535, np.uint16), _gradient(bits=16, seed=4))):
        cv2.imwrite(str(folder / f"f{i}.png"), img)
    model = _mean_model(tmp_path / "mean.onnx")
    events = tmp_path / "events.jsonl"
    assert main(["run", "--model", str(model), "--source", str(folder), "--events", str(events), "--quiet"]) == 0
    run_scores = [e["score"] for e in map(json.loads, events.read_text().splitlines()) if e["type"] == "score"]
    (folder / "labels.json").write_text(json.dumps(LABELS))
    (folder / "manifest.csv").write_text("path,label,case_id\n" + "".join(f"f{i}.png,normal,c{i}\n" for i in range(3)))
    saved = tmp_path / "ref-scores.json"
    assert main(["qa", "--reference", str(model), "--data", str(folder), "--save-reference-scores", str(saved)]) == 0
    doc = json.loads(saved.read_text())
    qa_scores = dict(zip(doc["keys"], doc["scores"], strict=True))
    assert [round(qa_scores[f"f{i}.png"], 5) for i in range(3)] == run_scores
    assert run_scores[1] > 0.98  # the white frame is white, not black
    capsys.readouterr()
