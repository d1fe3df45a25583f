"""The cart flow of QA (signed reference scores, the candidate on its own backend) imports no build
host package: no torch, onnx, onnxruntime, nncf, nor cleftedge's export code. It runs with torch,
onnx and nncf made unimportable (as on a cart), so a hidden import fails the run itself."""

import subprocess
import sys

from cart_blocker import BLOCKER

from cleftedge.cli import main

CODE = BLOCKER + """
import sys
from cleftedge.cli import main
rc = main(sys.argv[1:])
bad = sorted(n for n in sys.modules if n.split(".")[0] in ("torch", "onnx", "onnxruntime", "nncf")
             or n.startswith("cleftedge.export"))
print("RC", rc, "BAD", ",".join(bad))
"""


def test_the_cart_flow_imports_no_build_host_package(qa_world, ir_candidate, signing, tmp_path, capsys):
    scores = tmp_path / "ref-scores.json"
    assert main(["qa", "--reference", str(qa_world["reference"]), "--data", str(qa_world["qa"]),
                 "--save-reference-scores", str(scores)]) == 0
    assert main(["scores", "sign", str(scores), "--key", str(signing["key"])]) == 0
    capsys.readouterr()
    argv = ["qa", "--reference", str(qa_world["reference"]), "--reference-scores", str(scores), "--candidate",
            str(ir_candidate), "--data", str(qa_world["qa"]), "--trust-store", str(signing["trust"]),
            "--report", str(tmp_path / "rep")]
    out = subprocess.run([sys.executable, "-c", CODE, *argv], capture_output=True, text=True)
    last = out.stdout.strip().splitlines()[-1]
    assert last == "RC 0 BAD", (last, out.stderr[-2000:])
