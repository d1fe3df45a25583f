import json

from cleftedge.cli import main


def int8_ir(folder):
    """The reference model calibrated for intel-cpu by `cleftedge calibrate --profile intel-cpu`
    (the profile's recipe: NNCF to an OpenVINO IR carrying its spec and calibration record)."""
    onnx_path = folder / "model.onnx"
    assert main(["export", "--reference", "--out", str(onnx_path)]) == 0
    assert main(["simulate", "frames", "--out", str(folder / "calib"), "--count", "64", "--seed", "99"]) == 0
    out = folder / "model.int8.xml"
    assert main(["calibrate", "--model", str(onnx_path), "--data", str(folder / "calib"), "--profile", "intel-cpu",
                 "--out", str(out)]) == 0
    return out


def sign(bundle, key):
    """`cleftedge bundle sign BUNDLE --key KEY`; its exit code."""
    return main(["bundle", "sign", str(bundle), "--key", str(key)])


def manifest(bundle) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


def flip_byte(path, offset=-100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))

