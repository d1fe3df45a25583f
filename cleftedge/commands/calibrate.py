"""`cleftedge calibrate`: INT8 for a target (or a profile's recipe) from a calibration set."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError

EXAMPLE = """cleftedge calibrate --model model.onnx --data data/calib --profile intel-cpu --out model.int8.xml
  cleftedge calibrate --model model.onnx --data data/calib --target tensorrt --method entropy --out model.qdq.onnx
  cleftedge calibrate --model model.onnx --data data/calib --val-data data/val --target onnxruntime \\
      --auto-keep-float --out model.u8s8.onnx"""
GATE = {"agreement": 0.98, "auc_drop": 0.01}
# While a profile cannot be loaded (no cleftedge.device_profiles), its recipe by name:
KNOWN_PROFILES = {"intel-cpu": "openvino", "intel-gpu": "openvino", "intel-npu": "openvino",
                  "x86-cpu-onnxruntime": "onnxruntime", "jetson-": "tensorrt"}


def register(sub) -> None:
    p = add_command(sub, "calibrate", "quantize a model to INT8 for a target with a calibration set", EXAMPLE, _run)
    p.add_argument("--model", required=True, help="the FP32 ONNX (from cleftedge export)")
    p.add_argument("--data", required=True, help="the calibration set (folder, manifest CSV, video or DICOM cine)")
    p.add_argument("--target", choices=("tensorrt", "openvino", "onnxruntime"), help="the recipe")
    p.add_argument("--profile", help="take the recipe from a device profile instead of --target")
    p.add_argument("--out", required=True, help="calibrated model (.onnx for tensorrt/onnxruntime, .xml for openvino)")
    p.add_argument("--method", help="minmax (default), entropy or percentile; tensorrt and onnxruntime only")
    p.add_argument("--subset-size", type=int, default=300, help="calibration frames, stratified (default 300)")
    p.add_argument("--seed", type=int, default=0, help="seed of the subset (default 0)")
    p.add_argument("--keep-float", nargs="+", default=[], metavar="NODE", help="ONNX nodes to keep in float")
    p.add_argument("--val-data", help="validation set for anything that tunes (never the QA set)")
    p.add_argument("--max-drop", type=float, help="openvino: accuracy-controlled quantization, absolute drop")
    p.add_argument("--auto-keep-float", action="store_true", help="keep the worst layers in float until the "
                   "parity gate passes on --val-data")
    p.add_argument("--max-keep", type=int, default=4, help="most layers --auto-keep-float may keep (default 4)")
    p.add_argument("--diagnose", action="store_true", help="rank layers by quantization error (SQNR), worst first")
    p.add_argument("--reduce-range", choices=("auto", "on", "off"), default="auto",
                   help="onnxruntime: 7-bit weights for CPUs without VNNI (auto: from /proc/cpuinfo)")
    p.add_argument("--allow-overlap", action="store_true", help="allow calibration and validation sets to overlap")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def profile_recipe(name: str) -> str:
    """The recipe a device profile names (the one switch to the profiles package)."""
    try:
        from cleftedge.device_profiles import load_profile
    except ImportError:
        for prefix, recipe in KNOWN_PROFILES.items():
            if name == prefix or (prefix.endswith("-") and name.startswith(prefix)):
                return recipe
        raise CleftEdgeError(f"--profile {name}", "one of " + ", ".join(KNOWN_PROFILES), "or use --target") from None
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


def _run(args) -> int:
    from cleftedge.calibration.calibrate import CalibrateRequest, check_request, run_calibration
    from cleftedge.calibration.summary import print_summary

    _check_flags(args)
    reduce = {"auto": None, "on": True, "off": False}[args.reduce_range]
    req = CalibrateRequest(Path(args.model), Path(args.data), _target(args), Path(args.out), args.method,
                           args.subset_size, args.seed, list(args.keep_float),
                           Path(args.val_data) if args.val_data else None, args.max_drop, args.allow_overlap, reduce)
    check_request(req)
    summary = run_calibration(req)
    if args.auto_keep_float:
        from cleftedge.calibration.auto_keep import auto_keep_float

        summary["auto_keep_float"] = auto_keep_float(req, args.max_keep, GATE)
        summary["keep_float"] = list(req.keep_float) + summary["auto_keep_float"]["kept"]
    if args.diagnose:
        from cleftedge.calibration.auto_keep import diagnose

        summary["worst_layers"] = diagnose(req)[:8]
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary)
    auto = summary.get("auto_keep_float")
    if auto and not auto["passed"]:
        raise CleftEdgeError(f"the parity gate is still not met on the validation set after keeping "
                             f"{len(auto['kept'])} layer(s) in float (agreement {auto['agreement']:.3f}, AUC drop "
                             f"{auto['auc_drop']:.4f}); {req.out} keeps them", f"agreement >= {GATE['agreement']} "
                             f"and AUC drop <= {GATE['auc_drop']}", "raise --max-keep, or see --diagnose")
    return 0
