"""OpenVINO recipe: NNCF post-training quantization of the model as OpenVINO reads it; with
max_drop, NNCF's accuracy-controlled quantization on the validation set. Output: an IR (.xml/.bin)
with the spec and the calibration record in rt_info."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.calibration.recipes import RecipeInput
from cleftedge.lazy import require
from cleftedge.runtime.model_spec import set_ir_spec
from cleftedge.runtime.scoring import scores_from_output


def _accuracy_fn(spec):
    def validate(compiled_model, items) -> float:
        out = compiled_model.output(spec.output.name) if spec.output.name in {
            n for o in compiled_model.outputs for n in o.get_names()} else compiled_model.output(0)
        correct = total = 0
        for x, positive in items:
            raw = compiled_model(x)[out]
            score = scores_from_output(spec.output, raw)[0]
            correct += int((score >= spec.output.threshold) == positive)
            total += 1
        return correct / max(total, 1)

    return validate


def quantize_openvino(r: RecipeInput) -> Path:
    ov = require("openvino", "openvino")
    nncf = require("nncf", "build")
    model = ov.Core().read_model(str(r.model))
    calib = nncf.Dataset(r.tensors)
    scope = nncf.IgnoredScope(names=list(r.keep_float), validate=True) if r.keep_float else None
    kwargs = {"subset_size": len(r.tensors)}
    if scope is not None:
        kwargs["ignored_scope"] = scope
    if r.max_drop is not None and r.validation:
        val = nncf.Dataset(r.validation, lambda item: item[0])
        q = nncf.quantize_with_accuracy_control(model, calib, val, validation_fn=_accuracy_fn(r.spec),
                                                max_drop=r.max_drop, drop_type=nncf.DropType.ABSOLUTE, **kwargs)
        r.record["accuracy_control"] = {"max_drop": r.max_drop, "metric": "accuracy at the operating threshold"}
    else:
        q = nncf.quantize(model, calib, **kwargs)
    set_ir_spec(q, r.spec)
    q.set_rt_info(json.dumps(r.record), ["cleftedge", "calibration"])
    tmp = r.out.with_name(f".{r.out.stem}.tmp.xml")
    ov.save_model(q, str(tmp))
    tmp.replace(r.out)
    tmp.with_suffix(".bin").replace(r.out.with_suffix(".bin"))
    return r.out

