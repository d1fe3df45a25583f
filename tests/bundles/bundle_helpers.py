from cleftedge.cli import main


def int8_ir(folder):
    """The reference model quantized with NNCF to an OpenVINO IR carrying its spec (what the
    openvino recipe makes)."""
    import nncf
    import openvino as ov

    from cleftedge.runtime.model_spec import resolve_spec, set_ir_spec
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.simulator.dataset import generate

    onnx_path = folder / "model.onnx"
    assert main(["export", "--reference", "--out", str(onnx_path)]) == 0
    spec = resolve_spec(onnx_path)
    pre = Preprocessor(spec.input)
    items = [pre(f.image)[None] for f, _, _ in generate(64, 99)]
    model = nncf.quantize(ov.Core().read_model(str(onnx_path)), nncf.Dataset(items), subset_size=64)
    set_ir_spec(model, spec)
    out = folder / "model.int8.xml"
    ov.save_model(model, str(out))
    return out


def flip_byte(path, offset=-100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))

