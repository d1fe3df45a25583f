"""`cleftedge calibrate`: INT8 for a target (or a profile's recipe) from a calibration set."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError
from cleftedge.targets import names

EXAMPLE = """cleftedge calibrate --model model.onnx --data data/calib --profile intel-cpu --out model.int8.xml
  cleftedge calibrate --model model.onnx --data data/calib --target tensorrt --method entropy --out model.qdq.onnx
  cleftedge calibrate --model model.onnx --data data/calib --val-data data/val --target onnxruntime \\
      --auto-keep-float --out model.u8s8.onnx
  cleftedge calibrate --model model.onnx --data data/calib --val-data data/val --target openvino --preset \\
      --out model.int8.xml"""


def register(sub) -> None:
    """Add `cleftedge calibrate` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "calibrate", "quantize a model to INT8 for a target with a calibration set", EXAMPLE, _run)
    p.add_argument("--model", required=True, help="the FP32 ONNX (from cleftedge export)")
    p.add_argument("--data", required=True, help="the calibration set (folder, manifest CSV, video or DICOM cine)")
    p.add_argument("--target", choices=names(), help="the recipe")
    p.add_argument("--profile", help="take the recipe from a device profile instead of --target")
    p.add_argument("--out", required=True, help="calibrated model (.onnx for tensorrt/onnxruntime, .xml for openvino)")
    p.add_argument("--method", help="minmax (default), entropy or percentile; tensorrt and onnxruntime only")
    p.add_argument("--subset-size", type=int, default=300, help="calibration frames, stratified (default 300)")
    p.add_argument("--seed", type=int, default=0, help="seed of the subset (default 0)")
    p.add_argument("--keep-float", nargs="+", default=[], metavar="NODE", help="ONNX nodes to keep in float")
    p.add_argument("--val-data", help="validation set for anything that tunes (never the QA set)")
    p.add_argument("--max-drop", type=float, help="openvino: accuracy-controlled quantization; the share of "
                   "validation decisions allowed to flip against the FP32 model (e.g. 0.005)")
    p.add_argument("--auto-keep-float", action="store_true", help="keep the worst layers in float until the "
                   "QA gate passes on --val-data")
    p.add_argument("--preset", action="store_true", help="try a short ordered list of recipe settings on --val-data "
                   "and keep the first that passes the QA gate there")
    p.add_argument("--policy", help="QA policy TOML the tuning loops judge with (default: the QA default gate)")
    p.add_argument("--bias-correction", choices=("fast", "accurate"), help="openvino: NNCF's bias correction "
                   "(default fast)")
    p.add_argument("--activations", choices=("symmetric", "asymmetric"), help="openvino: NNCF's activation "
                   "quantization (default symmetric; asymmetric is NNCF's MIXED preset)")
    p.add_argument("--keep-first-last", action="store_true", help="keep the first and last Conv/Gemm/MatMul "
                   "in float")
    p.add_argument("--max-keep", type=int, default=4, help="most layers --auto-keep-float may keep (default 4)")
    p.add_argument("--diagnose", action="store_true", help="rank layers by quantization error (SQNR), worst first")
    p.add_argument("--reduce-range", choices=("auto", "on", "off"), default="auto",
                   help="onnxruntime: 7-bit weights for CPUs without VNNI (auto: from /proc/cpuinfo)")
    p.add_argument("--allow-overlap", action="store_true", help="allow calibration and validation sets to overlap")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def profile_recipe(name: str) -> str:
    """The recipe a device profile (a built-in name or a .toml file) names."""
    from cleftedge.device_profiles import load_profile

    return load_profile(name).recipe


def _target(args) -> str:
    if args.profile:
        recipe = profile_recipe(args.profile)
        if args.target and args.target != recipe:
            raise CleftEdgeError(f"--target {args.target} with --profile {args.profile}",
                                 f"the profile's recipe ({recipe})", "drop --target")
        return recipe
    if not args.target:
        raise CleftEdgeError("no recipe chosen", "--target or --profile", "e.g. --profile intel-cpu")
    return args.target


def _check_flags(args) -> None:
    if args.auto_keep_float and not args.val_data:
        raise CleftEdgeError("--auto-keep-float needs --val-data", "a validation set to judge parity on",
                             "add --val-data DIR (never the QA set)")
    if args.max_keep < 1:
        raise CleftEdgeError(f"--max-keep {args.max_keep}", "a positive number", "e.g. --max-keep 4")
    if args.preset and not args.val_data:
        raise CleftEdgeError("--preset needs --val-data", "a validation set to judge each attempt on",
                             "add --val-data DIR (never the QA set)")
    if args.preset and (args.method or args.max_drop is not None or args.bias_correction or args.activations):
        raise CleftEdgeError("--preset with --method/--max-drop/--bias-correction/--activations", "--preset alone "
                             "(it tries "
                             "those settings itself)", "drop the other flags, or drop --preset")


def _run(args) -> int:
    from dataclasses import replace

    from cleftedge.calibration.calibrate import CalibrateRequest, check_request
    from cleftedge.calibration.staging import staged_output
    from cleftedge.calibration.summary import print_summary

    _check_flags(args)
    reduce = {"auto": None, "on": True, "off": False}[args.reduce_range]
    req = CalibrateRequest(Path(args.model), Path(args.data), _target(args), Path(args.out), args.method,
                           args.subset_size, args.seed, list(args.keep_float),
                           Path(args.val_data) if args.val_data else None, args.max_drop, args.allow_overlap, reduce)
    for flag, key in (("--bias-correction", "bias_correction"), ("--activations", "activations")):
        if getattr(args, key):
            if req.target != "openvino":
                raise CleftEdgeError(f"{flag} for the {req.target} recipe", "the openvino recipe (NNCF)",
                                     f"drop {flag}")
            req.options[key] = getattr(args, key)
    check_request(req)
    if args.keep_first_last:
        from cleftedge.calibration.preset import end_layers

        req.keep_float += [n for n in end_layers(req.model) if n not in req.keep_float]
    _terminate_as_interrupt()
    with staged_output(req.out) as stage:  # every step works on the staged model: a failure leaves nothing
        summary = _calibrate_steps(args, replace(req, out=stage, keep_float=list(req.keep_float)))
    summary["out"], summary["sidecar"] = str(req.out), str(req.out.with_name(req.out.name + ".calibration.json"))
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary)
    return 0


def _terminate_as_interrupt() -> None:
    """A SIGTERM (a CI time-out, `kill`) unwinds like Ctrl-C, so the staged files are removed too."""
    import signal
    import threading

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def _calibrate_steps(args, req) -> dict:
    from cleftedge.calibration.calibrate import calibrate_checked
    from cleftedge.calibration.qa.policy import load_policy

    policy = load_policy(args.policy)
    if args.preset:
        from cleftedge.calibration.preset import run_preset, stderr_echo

        preset = run_preset(req, policy, echo=stderr_echo if args.json else print)
        summary = {**preset.pop("summary"), "preset": preset}
    else:
        summary = calibrate_checked(req)  # _run checked the request before staging it
    if args.auto_keep_float:
        from cleftedge.calibration.auto_keep import auto_keep_float

        summary["auto_keep_float"] = auto_keep_float(req, args.max_keep, policy)
        summary["keep_float"] = list(req.keep_float)
    if args.diagnose:
        summary["worst_layers"] = _diagnosis(req, summary)
    ranking = summary.get("worst_layers") or (summary.get("auto_keep_float") or {}).get("ranking")
    if ranking:  # beside the model, for the advice after a failed QA (calibration/next_steps.py)
        _record_diagnosis(req.out, ranking)
    auto = summary.get("auto_keep_float")
    if auto and not auto["passed"]:
        raise CleftEdgeError(f"the QA gate is still not met on the validation set after keeping "
                             f"{len(auto['kept'])} layer(s) in float (agreement {auto['agreement']:.4f}, "
                             f"{auto['flips']} of {auto['frames']} flipped: {auto['reasons'][0]}); nothing was "
                             f"written", "a model that passes the QA policy on --val-data",
                             "raise --max-keep, try --preset, or see --diagnose")
    return summary


def _record_diagnosis(out: Path, ranking: list[dict]) -> None:
    from cleftedge.calibration.record import sidecar_path, write_sidecar

    record = json.loads(sidecar_path(out).read_text())
    record["diagnosis"] = [{k: r[k] for k in ("node", "sqnr_db", "flips_fixed", "flips_base") if k in r}
                           for r in ranking[:8]]
    write_sidecar(out, record)


def _diagnosis(req, summary: dict) -> list[dict]:
    from cleftedge.calibration.auto_keep import diagnose

    auto = summary.get("auto_keep_float")
    if auto:  # the ranking the loop already measured (with flips when it had a validation set)
        return auto["ranking"]
    if req.val_data is None:
        return diagnose(req)[:8]
    from cleftedge.calibration.datasets import open_dataset
    from cleftedge.calibration.val_gate import load_validation, model_scores
    from cleftedge.runtime.model_spec import resolve_spec

    spec = resolve_spec(req.model)
    val = load_validation(open_dataset(req.val_data), spec)
    return diagnose(req, val, model_scores(req.model, "onnxruntime", val.tensors, spec))[:8]
