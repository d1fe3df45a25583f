"""What to try next, where the report can tell: a set too small to show anything needs more cases
(qa-plan); a failing candidate that carries its calibration record can be re-calibrated with the
recipe's own levers, beginning with the diagnosis that ranks the layers that lose most; a PROXY
needs the real engine. Each step is one line a QA lead can hand to the build host."""

from __future__ import annotations

RECIPE_LEVERS = {
    "tensorrt": ["--diagnose (ranks the Conv/Gemm/MatMul layers that lose most to quantization, worst first)",
                 "--keep-float NODE for the worst ones, or --auto-keep-float --val-data VAL",
                 "--method entropy or --method percentile instead of minmax"],
    "onnxruntime": ["--diagnose (ranks the layers that lose most, worst first)",
                    "--keep-float NODE for the worst ones, or --auto-keep-float --val-data VAL",
                    "--method entropy or --method percentile instead of minmax"],
    "openvino": ["--val-data VAL --max-drop 0.01 (NNCF's accuracy-controlled quantization)",
                 "--keep-float NODE for the worst layers (see --diagnose)"],
}


def next_steps(report: dict) -> list[str]:
    """Lines saying what to try next (empty for a plain pass)."""
    verdict = report["verdict"]
    cand = report["candidate"]
    out = []
    if cand.get("proxy"):
        out.append("rerun this QA where the real engine runs (the cart, or a machine with its backend and device): "
                   "a PROXY result is evidence about the quantization, not about that engine")
    if verdict["result"] == "inconclusive":
        ev = report.get("evidence") or {}
        out.append(f"collect a larger locked QA set: this one has {ev.get('positive_clusters')} positive and "
                   f"{ev.get('negative_clusters')} negative clusters; 'cleftedge qa-plan --expected-flip-rate R' "
                   "says how many it needs")
    if verdict["result"] != "fail":
        return out
    record = report.get("calibration_record") or {}
    recipe = record.get("recipe") or record.get("target")
    failed = {c["name"] for c in verdict["criteria"] if not c["passed"]}
    if recipe in RECIPE_LEVERS:
        source = record.get("source_model") or "model.onnx"
        data = record.get("data_path") or "CALIB"
        for lever in RECIPE_LEVERS[recipe]:
            out.append(f"re-calibrate on the build host: cleftedge calibrate --model {source} --data {data} "
                       f"--target {recipe} {lever}")
    else:
        out.append("the candidate carries no calibration record: re-calibrate it with 'cleftedge calibrate' (its "
                   "--diagnose ranks the layers that lose most), or ask its maker how it was quantized")
    if failed <= {"sensitivity_difference", "specificity_difference"}:
        out.append("only the operating point moved: try --val-data VAL --retune-threshold (tuned on the validation "
                   "set, never on the QA set)")
    return out
