"""The onnxruntime backend and the base-class contract (validation, timing, chunking, errors)."""

import numpy as np
import pytest
from backends_helpers import H, TinyGraph, W, make_onnx, make_spec, random_batch

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import backend_for_path, open_backend


def test_infer_returns_every_output_and_times_the_call(tiny_onnx):
    path, spec = tiny_onnx
    with open_backend(path) as b:
        assert b.name == "onnxruntime" and b.spec == spec
        out = b.infer(random_batch(3))
        assert set(out) == {"logits"} and out["logits"].shape == (3, 2) and out["logits"].dtype == np.float32
        assert b.last_ms is not None and b.last_ms > 0 and list(b.history_ms) == [b.last_ms]
        b.warmup(3)
        assert len(b.history_ms) == 0  # warm-up calls do not count


def test_same_input_same_output_and_rows_are_independent(tiny_onnx):
    path, _ = tiny_onnx
    with open_backend(path) as b:
        x = random_batch(4)
        whole = b.infer(x)["logits"]
        rows = np.concatenate([b.infer(x[i:i + 1])["logits"] for i in range(4)])
    np.testing.assert_allclose(whole, rows, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, found", [
    (np.zeros((2, 1, H, W), np.float64), "dtype float64"),
    (np.zeros((2, 3, H, W), np.float32), "shape (2, 3, 16, 16)"),
    (np.zeros((1, H, W), np.float32), "shape (1, 16, 16)"),
    (np.zeros((2, 1, H + 1, W), np.float32), "shape (2, 1, 17, 16)"),
    (np.zeros((0, 1, H, W), np.float32), "shape (0, 1, 16, 16)"),
    ([[0.0]], "type list"),
])
def test_bad_batch_is_one_line_naming_the_expected_shape(tiny_onnx, bad, found):
    path, _ = tiny_onnx
    with open_backend(path) as b, pytest.raises(CleftEdgeError) as err:
        b.infer(bad)
    line = str(err.value)
    assert found in line and "(N, 1, 16, 16)" in line and "\n" not in line


def test_fixed_batch_model_takes_any_batch_in_chunks(tmp_path, tiny_onnx):
    dyn_path, spec = tiny_onnx
    fixed = make_onnx(tmp_path / "fixed.onnx", spec, TinyGraph(batch=2))
    x = random_batch(5)
    with open_backend(dyn_path) as dyn, open_backend(fixed) as fix:
        assert (fix.min_batch, fix.max_batch) == (2, 2)
        np.testing.assert_allclose(fix.infer(x)["logits"], dyn.infer(x)["logits"], rtol=1e-5, atol=1e-6)
        assert fix.infer(x[:1])["logits"].shape == (1, 2)  # padded to 2, trimmed back


def test_spec_mismatch_at_load_is_one_line(tmp_path):
    spec3 = make_spec(channels=3)
    cases = {
        "channels": (make_onnx(tmp_path / "c.onnx", spec3, TinyGraph(channels=1)), "shape (?, 1, 16, 16)"),
        "size": (make_onnx(tmp_path / "s.onnx", make_spec(height=32), TinyGraph(height=16)), "(N, 1, 32, 16)"),
        "input": (make_onnx(tmp_path / "i.onnx", make_spec(input_name="img")), "no input 'img'"),
        "output": (make_onnx(tmp_path / "o.onnx", make_spec(output_name="probs")), "no output 'probs'"),
        "heatmap": (make_onnx(tmp_path / "h.onnx", make_spec(heatmap="cam")), "no heat map output 'cam'"),
    }
    for case, (path, found) in cases.items():
        with pytest.raises(CleftEdgeError) as err:
            open_backend(path)
        assert found in str(err.value), case
        assert "--spec" in str(err.value) and "\n" not in str(err.value)


def test_missing_spec_says_pass_spec_or_reexport(tmp_path):
    bare = make_onnx(tmp_path / "bare.onnx", None)
    with pytest.raises(CleftEdgeError, match=r"carries no cleftedge model spec.*--spec.*cleftedge export"):
        open_backend(bare)
    # an explicit spec (object or TOML file) makes it usable
    spec = make_spec()
    toml = tmp_path / "spec.toml"
    from cleftedge.spec import spec_toml
    toml.write_text(spec_toml(spec))
    for given in (spec, str(toml)):
        with open_backend(bare, spec=given) as b:
            assert b.spec == spec and b.infer(random_batch(1))["logits"].shape == (1, 2)


def test_explicit_spec_wins_over_the_embedded_one(tiny_onnx):
    path, spec = tiny_onnx
    other = spec.replace_threshold(0.9)
    with open_backend(path, spec=other) as b:
        assert b.spec.output.threshold == 0.9


def test_describe_names_backend_device_precision_versions(tiny_onnx):
    path, _ = tiny_onnx
    with open_backend(path, threads=1) as b:
        d = b.describe()
    assert (d["backend"], d["device"], d["precision"], d["threads"]) == ("onnxruntime", "CPU", "fp32", 1)
    assert d["versions"]["onnxruntime"] and d["model"] == str(path)
    assert d["inputs"] == [{"name": "image", "shape": ["?", 1, 16, 16], "dtype": "float32"}]


def test_closed_backend_and_bad_arguments(tmp_path, tiny_onnx):
    path, _ = tiny_onnx
    b = open_backend(path)
    b.close()
    b.close()  # idempotent
    with pytest.raises(CleftEdgeError, match="closed"):
        b.infer(random_batch(1))
    with pytest.raises(CleftEdgeError, match="unknown option 'thread'.*threads"):
        open_backend(path, thread=2)
    with pytest.raises(CleftEdgeError, match="option 'threads'.*'two'"):
        open_backend(path, threads="two")
    with pytest.raises(CleftEdgeError, match="device 'GPU' for the onnxruntime backend"):
        open_backend(path, device="GPU")
    with pytest.raises(CleftEdgeError, match="does not exist"):
        open_backend(tmp_path / "nope.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07" + b"not a model" * 10)
    with pytest.raises(CleftEdgeError, match="cannot load junk.onnx") as err:
        open_backend(junk)
    assert "\n" not in str(err.value)


def test_backend_chosen_from_file_type(tmp_path):
    assert backend_for_path("m.onnx") == "onnxruntime"
    assert backend_for_path("m.XML") == "openvino"
    assert backend_for_path("m.plan") == backend_for_path("m.engine") == "tensorrt"
    with pytest.raises(CleftEdgeError, match="--backend onnxruntime|openvino|tensorrt"):
        backend_for_path("m.pt")
    with pytest.raises(CleftEdgeError, match="unknown backend 'tflite'"):
        open_backend(tmp_path / "m.onnx", backend="tflite")
