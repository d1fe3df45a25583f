"""`cleftedge export`: the reference model, a PyTorch checkpoint, or your own ONNX -> a checked,
self-describing single-file ONNX."""

from __future__ import annotations

import json

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError

EXAMPLE = """cleftedge export --reference --out model.onnx
  cleftedge export --reference clinical --out model-clinical.onnx
  cleftedge export --checkpoint ckpt.pt --arch resnet18 --spec spec.toml --out model.onnx
  cleftedge export --onnx theirs.onnx --spec spec.toml --out model.onnx"""


def register(sub) -> None:
    """Add `cleftedge export` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "export", "export a model to ONNX with its spec embedded, checked against the source",
                    EXAMPLE, _run)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--reference", nargs="?", const="standard", choices=("standard", "clinical"),
                     help="a shipped reference model (not for clinical use): standard (the default) or clinical "
                     "(trained at clinical simulator difficulty, near the study's operating point)")
    src.add_argument("--checkpoint", help="a PyTorch state_dict (.pt), loaded with weights_only=True")
    src.add_argument("--onnx", help="bring your own ONNX image classifier")
    p.add_argument("--arch", help="architecture of --checkpoint: reference, resnet18, mobilenet_v3_small, or your "
                   "own nn.Module as package.module:Class")
    p.add_argument("--arch-kwargs", help="JSON keyword arguments for --arch package.module:Class, e.g. "
                   "'{\"classes\": 2}'")
    p.add_argument("--spec", help="spec TOML/JSON (required for --onnx; for --checkpoint the default is the "
                   "reference spec for --arch reference, else 3x224x224 RGB with ImageNet mean/std)")
    p.add_argument("--out", required=True, help="output .onnx")
    p.add_argument("--no-heatmap", action="store_true", help="leave out the reference model's heat-map output")
    p.add_argument("--json", action="store_true", help="print a JSON summary")


def _run(args) -> int:
    from cleftedge.spec import load_spec

    if not args.out.endswith(".onnx"):
        raise CleftEdgeError(f"--out {args.out}", "a file name ending in .onnx", "e.g. --out model.onnx")
    if args.onnx:
        if not args.spec:
            raise CleftEdgeError("--onnx needs --spec", "a spec TOML describing input and output",
                                 "write one (see docs/export.md) and pass --spec spec.toml")
        from cleftedge.export.byo import bring_your_own

        spec = load_spec(args.spec)
        r = bring_your_own(args.onnx, spec, args.out)
        summary = {"out": str(r.path), "opset": r.opset, "source_opset": r.source_opset,
                   "max_abs_diff": r.max_abs_diff, "fixed": r.fixed_dims, "warnings": r.warnings}
    else:
        module, spec = _torch_source(args)
        from cleftedge.export.onnx_export import export_module
        from cleftedge.export.sample_frames import sample_batch

        r = export_module(module, spec, args.out, sample_batch(spec, 8))
        summary = {"out": str(r.path), "opset": r.opset, "max_abs_diff": r.max_abs_diff, "outputs": r.outputs}
    if args.json:
        print(json.dumps(summary))
    else:
        upgraded = summary.get("source_opset", summary["opset"])
        opset = f"opset {summary['opset']}" + (f", upgraded from {upgraded}" if upgraded != summary["opset"] else "")
        print(f"wrote {summary['out']} ({opset}); onnxruntime vs source: max abs diff "
              f"{summary['max_abs_diff']:.2e}")
    return 0


def _torch_source(args):
    from cleftedge.export import archs
    from cleftedge.spec import load_spec

    if args.reference:
        return archs.reference_module(heatmap=not args.no_heatmap, difficulty=args.reference)
    if not args.arch:
        raise CleftEdgeError("--checkpoint needs --arch", "one of " + ", ".join(sorted(archs.ARCHS)),
                             "e.g. --arch resnet18")
    module = archs.load_checkpoint(archs.build(args.arch, archs.parse_arch_kwargs(args.arch_kwargs)),
                                   args.checkpoint, args.arch)
    if ":" in args.arch and not args.spec:
        raise CleftEdgeError(f"--arch {args.arch} needs --spec", "a spec TOML describing the model's input and output",
                             "write one (see docs/export.md) and pass --spec spec.toml")
    return module, (load_spec(args.spec) if args.spec else archs.default_spec(args.arch))
