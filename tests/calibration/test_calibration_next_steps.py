"""After a failed QA on the build host, the report names what to try next: the worst layers of the
recorded diagnosis and the recipe options not yet tried. The advice reads JSON only (no onnx, no
diagnosis code), so the cart's QA flow stays free of them."""

import csv
import subprocess
import sys

from calibration_helpers import tiny_model, write_set

from cleftedge.calibration.next_steps import next_steps
from cleftedge.cli import main


def test_a_failed_qa_names_the_worst_layers_and_untried_options(tmp_path, capsys):
    model = tiny_model(tmp_path / "tiny.onnx")
    calib = write_set(tmp_path / "calib", n=32, seed=21, prefix="a")
    out = tmp_path / "t.onnx"
    assert main(["calibrate", "--model", str(model), "--data", str(calib), "--target", "tensorrt", "--subset-size",
                 "16", "--out", str(out), "--diagnose"]) == 0
    qa = write_set(tmp_path / "qa", n=24, seed=22, prefix="q")
    rows = list(csv.reader(open(qa / "manifest.csv")))
    with open(qa / "manifest.csv", "w", newline="") as f:  # negatives only: sensitivity is undefined, QA fails
        csv.writer(f).writerows([rows[0]] + [r for r in rows[1:] if r[1] in ("normal", "off_plane")])
    capsys.readouterr()
    assert main(["qa", "--reference", str(model), "--candidate", str(out), "--data", str(qa), "--report",
                 str(tmp_path / "rep")]) == 1
    text = capsys.readouterr().out
    assert "what to try next:" in text and "--keep-float conv" in text or "--keep-float head" in text
    assert "--method entropy or --method percentile" in text and "--preset" in text


def test_no_record_no_advice(tmp_path):
    assert next_steps(tmp_path / "plain.onnx") == [] and next_steps(None) == []


def test_the_advice_imports_neither_onnx_nor_the_diagnosis():
    code = ("import sys, cleftedge.calibration.next_steps; "
            "bad = [m for m in ('onnx', 'torch', 'nncf', 'cleftedge.calibration.diagnose') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
