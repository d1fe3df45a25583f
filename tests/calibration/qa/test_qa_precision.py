"""The precision that was validated: a bundle's engine runs in the precision its profile pinned
(recorded in the manifest) in QA as on the cart, and a QA run on the CPU for a GPU or NPU bundle is
a PROXY, amber, never green."""

import json
import shutil

import pytest

from cleftedge.cli import main


@pytest.fixture(scope="module")
def cpu_bundle(qa_world, calibrated, tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    ir = root / "model.int8.xml"
    assert main(["calibrate", "--model", str(qa_world["reference"]), "--data", str(calibrated["calib"]),
                 "--profile", "intel-cpu", "--out", str(ir)]) == 0
    assert main(["build", "--model", str(ir), "--profile", "intel-cpu", "--out", str(root / "b")]) == 0
    return root / "b"


def _qa(capsys, world, candidate, report, *extra):
    rc = main(["qa", "--reference", str(world["reference"]), "--candidate", str(candidate), "--data", str(world["qa"]),
               "--report", str(report), *map(str, extra)])
    capsys.readouterr()
    return rc, json.loads((report / "report.json").read_text())


def test_a_cpu_bundle_records_and_runs_its_pinned_f32(qa_world, cpu_bundle, tmp_path, capsys):
    manifest = json.loads((cpu_bundle / "manifest.json").read_text())
    assert manifest["engine"]["inference_precision"] == "f32"
    assert manifest["build_settings"]["INFERENCE_PRECISION_HINT"] == "f32"
    rc, r = _qa(capsys, qa_world, cpu_bundle, tmp_path / "rep")
    assert r["candidate"]["inference_precision"] == "f32" and r["candidate"]["proxy"] is False


def test_a_gpu_bundle_judged_on_the_cpu_is_a_proxy(qa_world, cpu_bundle, tmp_path, capsys):
    gpu = tmp_path / "gpu-bundle"
    shutil.copytree(cpu_bundle, gpu)
    m = json.loads((gpu / "manifest.json").read_text())
    m["device"] = m["profile"]["device"] = "GPU"  # as 'cleftedge build --profile intel-gpu' writes it
    m["engine"]["inference_precision"] = m["profile"]["openvino"]["inference_precision"] = "f16"
    (gpu / "manifest.json").write_text(json.dumps(m))
    rc, r = _qa(capsys, qa_world, gpu, tmp_path / "rep")
    assert r["candidate"]["proxy"] is True
    assert any("built for GPU" in reason for reason in r["candidate"]["proxy_reasons"])
    assert r["candidate"]["inference_precision"] == "f32"  # what actually ran, said as it is
    assert "[PROXY: the bundle is built for GPU" in r["verdict"]["line"]
    html = (tmp_path / "rep" / "report.html").read_text()
    if r["verdict"]["passed"]:
        assert 'class="proxy-pass"' in html and 'class="pass"' not in html  # amber, never green


def test_inference_precision_is_refused_for_a_bundle(qa_world, cpu_bundle, tmp_path, capsys):
    rc = main(["qa", "--reference", str(qa_world["reference"]), "--candidate", str(cpu_bundle), "--data",
               str(qa_world["qa"]), "--report", str(tmp_path / "rep"), "--inference-precision", "bf16"])
    err = capsys.readouterr().err
    assert rc == 1 and "runs in the precision it pinned" in err and err.count("\n") == 1


def test_an_ir_candidate_runs_in_f32_on_the_cpu_unless_told(qa_world, ir_candidate, tmp_path, capsys):
    rc, r = _qa(capsys, qa_world, ir_candidate, tmp_path / "rep")
    assert r["candidate"]["inference_precision"] == "f32"
    rc, r = _qa(capsys, qa_world, ir_candidate, tmp_path / "rep2", "--inference-precision", "bf16")
    assert r["candidate"]["backend"]["pinned_precision"] == "bf16"
