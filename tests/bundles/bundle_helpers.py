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



def verify(bundle, built, *extra):
    """`cleftedge bundle verify BUNDLE --trust-store <built>/trust ...`; its exit code."""
    return main(["bundle", "verify", str(bundle), "--trust-store", str(built / "trust"), *extra])


def edit_manifest(bundle, change) -> None:
    """Change the manifest in place (change(m) edits the dict), as someone tampering would."""
    m = manifest(bundle)
    change(m)
    (bundle / "manifest.json").write_text(json.dumps(m))


def one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.startswith("cleftedge: error:") and err.count("\n") == 1, err
    return err
