"""`cleftedge inspect model.onnx`: the embedded spec, inputs, outputs and opset."""

from __future__ import annotations

import json

from cleftedge.cli import add_command


def register(sub) -> None:
    p = add_command(sub, "inspect", "show an ONNX model's embedded spec, inputs, outputs and opset",
                    "cleftedge inspect model.onnx --json", _run)
    p.add_argument("model", help="an .onnx file")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _tensors(values, skip=()):
    out = []
    for v in values:
        if v.name in skip:
            continue
        t = v.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim]
        out.append({"name": v.name, "shape": dims, "elem_type": t.elem_type})
    return out


def _run(args) -> int:
    from cleftedge.export.onnx_meta import load_onnx, opset_of, spec_of

    model = load_onnx(args.model)
    spec = spec_of(model, args.model)
    initializers = {i.name for i in model.graph.initializer}
    info = {"model": args.model, "opset": opset_of(model), "producer": model.producer_name,
            "inputs": _tensors(model.graph.input, initializers), "outputs": _tensors(model.graph.output),
            "spec": spec.to_dict() if spec else None}
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{args.model}: opset {info['opset']}, produced by {info['producer'] or 'unknown'}")
    for kind in ("inputs", "outputs"):
        for t in info[kind]:
            print(f"  {kind[:-1]:<6} {t['name']:<16} {t['shape']}")
    if spec is None:
        print("  spec: none embedded (pass --spec when running it, or re-export with cleftedge export)")
    else:
        i, o = spec.input, spec.output
        print(f"  spec: {spec.model_name} v{spec.model_version}")
        print(f"    input  {i.name}: {i.channels}x{i.height}x{i.width} {i.color}, resize {i.resize}, "
              f"scale {i.scale:.5g}, mean {list(i.mean)}, std {list(i.std)}, crop_sector {i.crop_sector}")
        print(f"    output {o.name}: {o.kind}/{o.activation}, classes {list(o.class_names)}, positive "
              f"{list(o.positive_classes)}, threshold {o.threshold:.4f}, heatmap {o.heatmap}")
    return 0
