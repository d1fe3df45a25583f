import json
import shutil

import numpy as np
import pytest

from cleftedge.calibration.datasets import open_dataset
from cleftedge.calibration.subset import stratified_subset
from cleftedge.cli import main
from cleftedge.export.onnx_meta import load_onnx
from cleftedge.export.qdq_rules import check_model
from cleftedge.runtime.model import Model


def agreement(a, b, frames):
    sa, sb = Model.open(a).predict(frames).scores, Model.open(b, backend="onnxruntime" if str(b).endswith(
        ".onnx") else None).predict(frames).scores
    return float(np.mean((sa >= 0.5) == (sb >= 0.5))), float(np.max(np.abs(sa - sb)))


@pytest.mark.parametrize("target,suffix", [("tensorrt", ".onnx"), ("onnxruntime", ".onnx"), ("openvino", ".xml")])
def test_each_recipe_makes_a_model_that_agrees_with_fp32(calib_world, tmp_path, target, suffix, capsys):
    out = tmp_path / f"m{suffix}"
    assert main(["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
                 "--target", target, "--subset-size", "60", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["frames"] == 60
    record = json.loads(out.with_name(out.name + ".calibration.json").read_text())
    assert record["recipe"] == target and len(record["subset"]) == 60
    assert record["data_hash"] == open_dataset(calib_world / "calib").content_hash()
    frames = [s.image for s, _ in zip(open_dataset(calib_world / "val"), range(40), strict=False)]
    agree, _ = agreement(calib_world / "model.onnx", out, frames)
    assert agree >= 0.95
    if suffix == ".onnx":
        violations = check_model(load_onnx(out))
        assert (violations == []) == (target == "tensorrt")


def test_checker_names_the_node_of_an_asymmetric_model(calib_world, tmp_path, capsys):
    out = tmp_path / "u8.onnx"
    assert main(["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
                 "--target", "onnxruntime", "--subset-size", "20", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["check-qdq", str(out)]) == 1
    err = capsys.readouterr().err
    assert "node '" in err and "uint8" in err and err.count("\n") == 1


def test_overlapping_sets_are_refused_unless_allowed(calib_world, tmp_path, capsys):
    overlap = tmp_path / "val"
    shutil.copytree(calib_world / "calib", overlap)
    args = ["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
            "--val-data", str(overlap), "--target", "openvino", "--max-drop", "0.01", "--subset-size", "20",
            "--out", str(tmp_path / "m.xml")]
    assert main(args) == 1
    assert "share" in capsys.readouterr().err and not (tmp_path / "m.xml").exists()


def test_content_hash_is_stable_and_sees_a_label_change(calib_world, tmp_path):
    copy = tmp_path / "c"
    shutil.copytree(calib_world / "val", copy)
    a = open_dataset(copy).content_hash()
    assert a == open_dataset(copy).content_hash() == open_dataset(calib_world / "val").content_hash()
    manifest = copy / "manifest.csv"
    lines = manifest.read_text().splitlines()
    head, first = lines[0], lines[1].split(",")
    first[1] = "bilateral" if first[1] != "bilateral" else "normal"
    manifest.write_text("\n".join([head, ",".join(first), *lines[2:]]) + "\n")
    assert open_dataset(copy).content_hash() != a


def test_subset_is_stratified_and_seeded(calib_world):
    ds = open_dataset(calib_world / "calib")
    sub = stratified_subset(ds, 40, seed=3)
    assert len(sub) == 40 and [r.key for r in sub] == [r.key for r in stratified_subset(ds, 40, seed=3)]
    share = np.mean([r.positive for r in sub]) - np.mean([r.positive for r in ds.records])
    assert abs(share) < 0.1


@pytest.mark.parametrize("extra,needle", [(["--target", "openvino", "--out", "x.onnx"], "ending in .xml"),
                                          (["--out", "x.onnx"], "no recipe chosen"),
                                          (["--target", "tensorrt", "--method", "magic", "--out", "x.onnx"],
                                           "--method magic")])
def test_bad_flags_are_one_line(calib_world, tmp_path, capsys, extra, needle):
    extra = [str(tmp_path / e) if e.startswith("x.") else e for e in extra]
    assert main(["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
                 *extra]) == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("method", ["entropy", "percentile"])
def test_histogram_methods_with_a_short_last_batch(calib_world, tmp_path, method):
    out = tmp_path / "m.onnx"
    assert main(["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
                 "--target", "tensorrt", "--method", method, "--subset-size", "20", "--out", str(out)]) == 0
    assert check_model(load_onnx(out)) == []


def test_calibrate_checks_the_request_once_before_staging_it(calib_world, tmp_path, capsys, monkeypatch):
    from cleftedge.calibration import calibrate

    checked = []
    real = calibrate.check_request

    def counting(r):
        checked.append(r.out)
        return real(r)

    monkeypatch.setattr(calibrate, "check_request", counting)
    out = tmp_path / "once.onnx"
    assert main(["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
                 "--target", "onnxruntime", "--subset-size", "12", "--out", str(out)]) == 0
    assert checked == [out] and out.is_file()  # the user's request, not the staged copy of it again
    capsys.readouterr()
    assert main(["calibrate", "--model", str(calib_world / "model.onnx"), "--data", str(calib_world / "calib"),
                 "--target", "onnxruntime", "--out", str(tmp_path / "bad.xml")]) == 1
    assert "a file name ending in .onnx" in capsys.readouterr().err and not list(tmp_path.glob("*.xml"))
