"""What to try next after a failed QA, on the build host: from the candidate's calibration record
(its `.calibration.json` beside it) the recipe options not yet tried, and the worst layers when a
diagnosis was recorded. Reads JSON only: no onnx, no diagnosis code (the cart's QA flow never
needs it, and a candidate without a record gets no advice)."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.calibration.recipes import methods
from cleftedge.targets import TARGETS


def _record(candidate: Path) -> dict | None:
    sidecar = candidate.with_name(candidate.name + ".calibration.json")
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("kind") == "cleftedge.calibration" else None


def next_steps(candidate: Path | None) -> list[str]:
    """Lines to print after a failed verdict (empty when the candidate carries no calibration record)."""
    rec = _record(Path(candidate)) if candidate else None
    if rec is None or rec.get("target") not in TARGETS:
        return []
    target = rec["target"]
    tips = []
    worst = [w["node"] for w in rec.get("diagnosis") or [] if w.get("node") not in (rec.get("keep_float") or [])]
    if worst:
        tips.append(f"keep the worst layers in float: --keep-float {' '.join(worst[:3])}")
    else:
        tips.append("rank the layers: cleftedge calibrate ... --diagnose --val-data VAL")
    untried = [m for m in methods(target) if m != rec.get("method") and target != "openvino"]
    if untried:
        tips.append(f"another calibration method: --method {' or --method '.join(untried)}")
    if target == "openvino" and rec.get("activations", "symmetric") == "symmetric":
        tips.append("asymmetric activations (NNCF's MIXED preset): --activations asymmetric")
    if target == "openvino" and rec.get("bias_correction", "fast") == "fast":
        tips.append("accurate bias correction: --bias-correction accurate")
    if target == "openvino" and not rec.get("accuracy_control"):
        tips.append("accuracy control on decision agreement: --val-data VAL --max-drop 0.005")
    if not rec.get("keep_float"):
        tips.append("the first and last layers in float: --keep-first-last, or --auto-keep-float --val-data VAL")
    tips.append("or let --preset try these in order: --val-data VAL --preset")
    return tips
