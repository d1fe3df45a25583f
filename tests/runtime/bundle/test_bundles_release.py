"""The release path on intel-cpu, end to end on the reference model: calibrate --profile, build,
qa on the bundle (those three as the README runs them, once per session), attach-qa, sign, verify,
run --model BUNDLE."""

import json
import shutil

import pytest
from bundle_helpers import NEEDS_QA_SCHEMA_2, manifest, sign

from cleftedge.cli import main
from cleftedge.hashing import sha256_file


@pytest.fixture(scope="module")
def released(readme_run, tmp_path_factory):
    """The README's release path up to QA (tests/conftest.py runs it once per session): the bundle as
    `cleftedge build --profile intel-cpu` wrote it from `calibrate --profile intel-cpu`, the FP32
    reference, the README's QA set (2,300 frames, large enough to pass honestly) and its passing QA
    report on this bundle's engine; here signing keys of this module's own."""
    readme = readme_run["dir"]
    assert readme_run["built_bundle"] is not None and (readme / "qa-report" / "report.json").is_file(), \
        "the README's run did not get as far as QA (see test_readme_commands_run)"
    root = tmp_path_factory.mktemp("release")
    shutil.copy(readme / "model.onnx", root / "model.onnx")  # the FP32 reference for QA
    shutil.copytree(readme_run["built_bundle"], root / "b")
    shutil.copytree(readme_run["built_bundle"], root / "pristine")
    (root / "qa").symlink_to(readme / "data" / "qa")
    shutil.copytree(readme / "qa-report", root / "rep")  # QA of this bundle's engine, run once by the README
    assert main(["keys", "generate", "--out", str(root / "keys")]) == 0
    (root / "trust").mkdir()
    shutil.copy(root / "keys" / "cleftedge-signing.pub.pem", root / "trust")
    return root


@NEEDS_QA_SCHEMA_2
def test_build_qa_attach_sign_verify_run(released, capsys):
    root, b = released, released / "b"
    trust = ["--trust-store", str(root / "trust")]
    source = manifest(b)["source"]
    assert source["onnx_sha256"] == sha256_file(root / "model.onnx")  # from calibrate's record
    assert source["calibration_data_sha256"] and source["recipe"] == "openvino"
    assert main(["bundle", "verify", str(b), "--allow-unsigned"]) == 1  # intel-cpu requires QA
    assert "no QA attestation attached; the profile requires one" in capsys.readouterr().err
    report = json.loads((root / "rep" / "report.json").read_text())
    assert report["verdict"]["passed"]
    # the precision pinned at build (f32 on CPU profiles) is the one QA ran, whatever this CPU prefers
    assert manifest(b)["engine"]["inference_precision"] == "f32" == report["candidate"]["inference_precision"]
    assert main(["bundle", "attach-qa", str(b), str(root / "rep")]) == 0
    assert (b / "qa" / "report.json").is_file()
    assert main(["bundle", "verify", str(b), *trust]) == 1  # attached but not signed yet
    assert "not signed" in capsys.readouterr().err
    assert sign(b, root / "keys" / "cleftedge-signing.key.pem") == 0
    assert main(["bundle", "verify", str(b), *trust]) == 0
    assert main(["run", "--model", str(b), *trust, "--source", str(root / "qa" / "normal"), "--max-frames", "8",
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["bundle", "inspect", str(b), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["qa"]["verdict"] == "pass" and shown["profile"]["name"] == "intel-cpu"


def test_attach_qa_refuses_a_report_on_another_engine_or_a_failed_one(released, tmp_path, capsys):
    root = released
    b = tmp_path / "b"
    shutil.copytree(root / "pristine", b)
    # QA run on another model (the FP32 ONNX), not on this bundle's engine (a few frames are enough:
    # the report is refused for its engine before its verdict counts)
    small = tmp_path / "small"
    small.mkdir()
    rows = (root / "qa" / "manifest.csv").read_text().splitlines()[:41]
    for row in rows[1:]:
        (small / row.split(",")[0]).parent.mkdir(exist_ok=True)
        shutil.copy(root / "qa" / row.split(",")[0], small / row.split(",")[0])
    (small / "manifest.csv").write_text("\n".join(rows) + "\n")
    shutil.copy(root / "qa" / "labels.json", small)
    main(["qa", "--reference", str(root / "model.onnx"), "--candidate", str(root / "model.onnx"), "--data", str(small),
          "--report", str(tmp_path / "bare")])
    capsys.readouterr()
    assert main(["bundle", "attach-qa", str(b), str(tmp_path / "bare")]) == 1
    err = capsys.readouterr().err
    assert "not run on this bundle's engine" in err and err.count("\n") == 1
    # a failed report on this very engine
    shutil.copytree(root / "rep", tmp_path / "rep")
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    report["verdict"]["passed"] = False
    (tmp_path / "rep" / "report.json").write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["bundle", "attach-qa", str(b), str(tmp_path / "rep")]) == 1
    assert "the QA report did not pass" in capsys.readouterr().err
    assert "qa" not in manifest(b)
