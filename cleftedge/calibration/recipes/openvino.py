"""OpenVINO recipe: NNCF post-training quantization of the model as OpenVINO reads it (per-channel
weights; bias correction fast or accurate); with max_drop, NNCF's accuracy-controlled quantization
on the validation set, judged as the QA gate judges: the share of validation frames whose decision at
the operating threshold agrees with the FP32 model's (max_drop is the share of decisions allowed to
flip). Output: an IR (.xml/.bin) with the spec and the calibration record in rt_info.

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


def ignored_scope(nncf, names: list[str]):
    """An NNCF IgnoredScope keeping the ONNX nodes `names` (and the nodes OpenVINO derives from them) in float; None
    for no names."""
    if not names:
        return None
    return nncf.IgnoredScope(patterns=[f"^{re.escape(n)}(/.*)?$" for n in names], validate=True)


def overflow_fix(forced: bool | None) -> bool:
    """Whether NNCF halves every layer's weight range (its overflow fix, the counterpart of
    onnxruntime's reduce_range): on a CPU without VNNI, OpenVINO's int8 kernels add u8 x s8 products
    in pairs into 16 bits and saturate; NNCF's default fixes only the first layer."""
    from cleftedge.calibration.recipes.onnxruntime import cpu_has_vnni

    return (not cpu_has_vnni()) if forced is None else forced


def quantize_openvino(r: RecipeInput) -> Path:
    """The openvino recipe: NNCF post-training quantization of the ONNX to an OpenVINO IR (accuracy-controlled when
    the request has a validation set and a drop), with the spec and the record in the IR. Returns the .xml path."""
    ov = require("openvino", "openvino")
    nncf = require("nncf", "build")
    model = ov.Core().read_model(str(r.model))
    calib = nncf.Dataset(r.tensors)
    kwargs = {"subset_size": len(r.tensors),
              "fast_bias_correction": r.options.get("bias_correction", "fast") != "accurate"}
    r.record["bias_correction"] = "accurate" if not kwargs["fast_bias_correction"] else "fast"
    if r.options.get("activations") == "asymmetric":  # NNCF's MIXED preset: asymmetric activations
        kwargs["preset"] = nncf.QuantizationPreset.MIXED
    r.record["activations"] = r.options.get("activations", "symmetric")
    overflow = overflow_fix(r.reduce_range)
    kwargs["advanced_parameters"] = nncf.AdvancedQuantizationParameters(
        overflow_fix=nncf.OverflowFix.ENABLE if overflow else nncf.OverflowFix.FIRST_LAYER)
    r.record["overflow_fix"] = "all layers" if overflow else "first layer"
    r.record["overflow_fix_reason"] = ("forced" if r.reduce_range is not None else
                                       "this CPU lacks VNNI" if overflow else "this CPU has VNNI")
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
    import numpy as np

    from cleftedge.calibration.val_gate import agreement_fn, model_scores
    from cleftedge.runtime.scoring import flagged

    tensors = np.concatenate([x for x, _ in r.validation])
    flags = flagged(model_scores(r.model, "onnxruntime", tensors, r.spec), r.spec.output.threshold)  # FP32 decisions
    val = nncf.Dataset([(x, bool(f)) for (x, _), f in zip(r.validation, flags, strict=True)], lambda item: item[0])
    # the same settings under the name this entry point gives them
    kwargs["advanced_quantization_parameters"] = kwargs.pop("advanced_parameters")
    q = nncf.quantize_with_accuracy_control(model, calib, val, validation_fn=agreement_fn(r.spec),
                                            max_drop=r.max_drop, drop_type=nncf.DropType.ABSOLUTE, **kwargs)
    r.record["accuracy_control"] = {"max_drop": r.max_drop, "drop_type": "absolute",
                                    "metric": "decision agreement with the FP32 model at the operating threshold "
                                              "(compiled OpenVINO model vs FP32 ONNX on onnxruntime)",
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
