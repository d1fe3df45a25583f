"""`cleftedge inspect PATH`: what any artifact the toolchain makes says about itself: an ONNX (opset,
producer, inputs, outputs, spec, export and calibration records), an OpenVINO IR, a bundle folder or
`.tar.gz` (manifest, engine, spec)."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError


def register(sub) -> None:
    """Add `cleftedge inspect` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "inspect", "show what a model or bundle carries: spec, inputs, outputs, opset, records",
                    "cleftedge inspect model.onnx --json\n  cleftedge inspect model.int8.xml\n"
                    "  cleftedge inspect bundle.tar.gz", _run)
    p.add_argument("model", help="an .onnx file, an OpenVINO IR .xml, a bundle folder or .tar.gz")
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


def _json_or_none(text: str | None):
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None


def _onnx_info(path: str) -> dict:
    from cleftedge.calibration.record import METADATA_KEY as CALIBRATION_KEY
    from cleftedge.export.byo import EXPORT_KEY
    from cleftedge.export.onnx_meta import load_onnx, opset_of, spec_of

    model = load_onnx(path)
    spec = spec_of(model, path)
    meta = {p.key: p.value for p in model.metadata_props}
    initializers = {i.name for i in model.graph.initializer}
    return {"model": path, "kind": "onnx", "opset": opset_of(model), "producer": model.producer_name,
            "inputs": _tensors(model.graph.input, initializers), "outputs": _tensors(model.graph.output),
            "spec": spec.to_dict() if spec else None, "export": _json_or_none(meta.get(EXPORT_KEY)),
            "calibration": _json_or_none(meta.get(CALIBRATION_KEY))}


def _ir_info(path: str) -> dict:
    from cleftedge.calibration.record import read_record
    from cleftedge.lazy import require
    from cleftedge.runtime.model_spec import read_ir_spec_text

    ov = require("openvino", "openvino")
    if not Path(path).is_file():
        raise CleftEdgeError(f"model {path} does not exist", "an OpenVINO IR .xml with its .bin", "check the path")
    try:
        m = ov.Core().read_model(path)
    except Exception as exc:  # OpenVINO raises its own RuntimeError types
        raise CleftEdgeError(f"{path} is not a readable OpenVINO IR ({str(exc).splitlines()[0][:160]})",
                             "an .xml and its .bin written by OpenVINO", "check both files are there") from None

    def ports(items):
        return [{"name": p.get_any_name(), "shape": str(p.get_partial_shape()), "elem_type": str(p.get_element_type())}
                for p in items]

    spec = _json_or_none(read_ir_spec_text(path))
    return {"model": path, "kind": "openvino-ir", "opset": None, "producer": "OpenVINO", "inputs": ports(m.inputs),
            "outputs": ports(m.outputs), "spec": spec, "export": None, "calibration": read_record(Path(path))}


def _bundle_info(path: str) -> dict:
    from cleftedge.runtime.bundle import bundle_folder
    from cleftedge.runtime.bundle.manifest import load_manifest

    m = load_manifest(bundle_folder(path))
    return {"model": path, "kind": "bundle", "spec": m.get("spec"), "manifest": m}


def artifact_info(path: str) -> dict:
    """What `inspect` shows of `path` (a bundle, an OpenVINO IR .xml or an ONNX): a dict of its spec, inputs, outputs
    and records."""
    from cleftedge.runtime.bundle import is_bundle

    if is_bundle(path):
        return _bundle_info(path)
    if path.lower().endswith(".xml"):
        return _ir_info(path)
    return _onnx_info(path)


def _print_spec(spec: dict | None) -> None:
    if spec is None:
        print("  spec: none embedded (pass --spec when running it, or re-export with cleftedge export)")
        return
    i, o = spec["input"], spec["output"]
    print(f"  spec: {spec.get('model_name')} v{spec.get('model_version')}")
    print(f"    input  {i['name']}: {i['channels']}x{i['height']}x{i['width']} {i['color']}, resize {i['resize']}"
          + (f" (short side {i['resize_short']})" if i.get("resize_short") else "")
          + f", interpolation {i.get('interpolation', 'auto')}, scale {i['scale']:.5g}, mean {list(i['mean'])}, "
            f"std {list(i['std'])}, crop_sector {i['crop_sector']}")
    print(f"    output {o['name']}: {o['kind']}/{o['activation']}, classes {list(o['class_names'])}, positive "
          f"{list(o['positive_classes'])}, threshold {o['threshold']:.4f}, heatmap {o['heatmap']}")


def _print_model(info: dict) -> None:
    opset = f"opset {info['opset']}" if info["opset"] else "OpenVINO IR"
    export = info.get("export")
    if export and export.get("source_opset") not in (None, info["opset"]):
        opset += f" (upgraded from {export['source_opset']})"
    print(f"{info['model']}: {opset}, produced by {info['producer'] or 'unknown'}")
    for kind in ("inputs", "outputs"):
        for t in info[kind]:
            print(f"  {kind[:-1]:<6} {t['name']:<16} {t['shape']}")
    _print_spec(info["spec"])
    rec = info.get("calibration")
    if rec:
        kept = ", ".join(rec.get("keep_float") or []) or "nothing"
        print(f"  calibration: {rec.get('recipe')} ({rec.get('method')}), {rec.get('subset_size')} frames, data "
              f"{str(rec.get('data_hash'))[:16]}, kept in float: {kept}")


def _print_bundle(info: dict) -> None:
    m = info["manifest"]
    print(f"{info['model']}: bundle of {m['model']['name']} v{m['model']['version']} ({m['created']})")
    print(f"  profile {m['profile']['name']}: {m['backend']} on {m['device']}, {m['precision']}")
    print(f"  engine  {m['engine']['path']}  sha256 {m['engine']['sha256'][:16]}...")
    qa = m.get("qa")
    print(f"  QA      {qa['line'] if qa else 'none attached'}")
    _print_spec(info["spec"])


def _run(args) -> int:
    info = artifact_info(args.model)
    if args.json:
        print(json.dumps(info, indent=2))
    elif info["kind"] == "bundle":
        _print_bundle(info)
    else:
        _print_model(info)
    return 0
