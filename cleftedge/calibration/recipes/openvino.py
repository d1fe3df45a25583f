"""OpenVINO recipe: NNCF post-training quantization of the model as OpenVINO reads it; with
max_drop, NNCF's accuracy-controlled quantization on the validation set, judged by the real compiled
model's accuracy at the operating threshold. Output: an IR (.xml/.bin) with the spec and the
calibration record in rt_info.

--keep-float takes ONNX node names (what diagnosis shows); OpenVINO names the ops it makes from a
node after it, with suffixes (a Conv with bias becomes `<name>/WithoutBiases` + the `<name>` Add), so
each name becomes a pattern that matches the node and its suffixed parts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cleftedge.calibration.recipes import RecipeInput
from cleftedge.calibration.stdout_guard import stdout_to_stderr
from cleftedge.errors import CleftEdgeError
from cleftedge.lazy import require
from cleftedge.runtime.model_spec import set_ir_spec
from cleftedge.runtime.scoring import scores_from_output


def _accuracy_fn(spec):
    def validate(compiled_model, items) -> float:
        names = {n for o in compiled_model.outputs for n in o.get_names()}
        out = compiled_model.output(spec.output.name) if spec.output.name in names else compiled_model.output(0)
        correct = total = 0
        for x, positive in items:
            score = scores_from_output(spec.output, compiled_model(x)[out])[0]
            correct += int((score >= spec.output.threshold) == positive)
            total += 1
        return correct / max(total, 1)

    return validate


def ignored_scope(nncf, names: list[str]):
    if not names:
        return None
    return nncf.IgnoredScope(patterns=[f"^{re.escape(n)}(/.*)?$" for n in names], validate=True)


def quantize_openvino(r: RecipeInput) -> Path:
    ov = require("openvino", "openvino")
    nncf = require("nncf", "build")
    model = ov.Core().read_model(str(r.model))
    calib = nncf.Dataset(r.tensors)
    kwargs = {"subset_size": len(r.tensors)}
    scope = ignored_scope(nncf, r.keep_float)
    if scope is not None:
        kwargs["ignored_scope"] = scope
    try:
        with stdout_to_stderr():
            q = _quantize(nncf, model, calib, r, kwargs)
    except nncf.ValidationError as exc:
        raise CleftEdgeError(f"NNCF refused --keep-float: {str(exc).splitlines()[0]}", "ONNX node names of the model",
                             "see 'cleftedge calibrate --diagnose' for the names") from None
    set_ir_spec(q, r.spec)
    q.set_rt_info(json.dumps(r.record), ["cleftedge", "calibration"])
    _save_atomic(ov, q, r.out)
    return r.out


def _quantize(nncf, model, calib, r: RecipeInput, kwargs: dict):
    if r.max_drop is None or not r.validation:
        return nncf.quantize(model, calib, **kwargs)
    val = nncf.Dataset(r.validation, lambda item: item[0])
    q = nncf.quantize_with_accuracy_control(model, calib, val, validation_fn=_accuracy_fn(r.spec),
                                            max_drop=r.max_drop, drop_type=nncf.DropType.ABSOLUTE, **kwargs)
    r.record["accuracy_control"] = {"max_drop": r.max_drop, "drop_type": "absolute",
                                    "metric": "accuracy at the operating threshold, compiled OpenVINO model",
                                    "validation_frames": len(r.validation)}
    return q


def _save_atomic(ov, model, out: Path) -> None:
    """Write beside the target, then rename: the .bin first, the .xml (which names it) last."""
    tmp = out.with_name(f".{out.stem}.tmp.xml")
    try:
        ov.save_model(model, str(tmp))
        tmp.with_suffix(".bin").replace(out.with_suffix(".bin"))
        tmp.replace(out)
    finally:
        for leftover in (tmp, tmp.with_suffix(".bin")):
            leftover.unlink(missing_ok=True)
