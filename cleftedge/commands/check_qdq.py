"""`cleftedge check-qdq`: is a Q/DQ ONNX valid (onnx.checker, full check) and does it meet TensorRT's
rules? Names the node that breaks them."""

from __future__ import annotations

import json

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError


def register(sub) -> None:
    """Add `cleftedge check-qdq` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "check-qdq", "check a Q/DQ ONNX against TensorRT's explicit-quantization rules",
                    "cleftedge check-qdq model.qdq.onnx --json", _run)
    p.add_argument("model")
    p.add_argument("--json", action="store_true")


def _run(args) -> int:
    from pathlib import Path

    from cleftedge.calibration.output_check import check_onnx_valid
    from cleftedge.export.onnx_meta import load_onnx
    from cleftedge.export.qdq_rules import check_model

    model = load_onnx(args.model)
    check_onnx_valid(Path(args.model), args.model)  # a model TensorRT's parser would refuse is no pass
    violations = check_model(model)
    if args.json:
        print(json.dumps({"model": args.model, "ok": not violations,
                          "violations": [{"node": v.node, "rule": v.rule} for v in violations]}))
    elif not violations:
        print(f"{args.model}: meets TensorRT's Q/DQ rules")
    if violations:
        if not args.json:
            for v in violations[1:6]:
                print(f"  also {v.line()}")
        raise CleftEdgeError(f"{args.model} breaks TensorRT's Q/DQ rules at {violations[0].line()} "
                             f"({len(violations)} violation{'s' if len(violations) > 1 else ''})",
                             "int8, zero point 0, per-tensor activations, per-channel weights on the output axis",
                             "calibrate with 'cleftedge calibrate --target tensorrt'")
    return 0
