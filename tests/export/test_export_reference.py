"""`cleftedge export --reference` and `--checkpoint --arch`: a single-file, checked, self-describing ONNX."""

import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch

from cleftedge.export.archs import REFERENCE_DIR
from cleftedge.export.onnx_meta import read_spec
from cleftedge.export.sample_frames import sample_batch
from cleftedge.export.zoo import MobileNetV3Small, ResNet18
from cleftedge.reference.model import CleftNet, WithHeatmap
from cleftedge.spec import METADATA_KEY


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cleftedge", *map(str, args)], capture_output=True, text=True)


def shape(values, name):
    v = next(i for i in values if i.name == name)
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim]


def test_reference_export_is_single_file_dynamic_batch_with_spec(reference_export):
    out, stdout = reference_export
    assert "max abs diff" in stdout
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no external-data file, no temp left
    model = onnx.load(str(out), load_external_data=False)
    onnx.checker.check_model(model, full_check=True)
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    assert next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    b, c, h, w = shape(model.graph.input, "frames")
    assert isinstance(b, str) and (c, h, w) == (1, 128, 160)
    spec = read_spec(out)
    assert json.loads(next(p.value for p in model.metadata_props if p.key == METADATA_KEY))["input"]["crop_sector"]
    metrics = json.loads((REFERENCE_DIR / "metrics.json").read_text())
    assert spec.output.threshold == metrics["threshold"] and spec.output.heatmap == "heatmap"


def test_reference_onnx_matches_torch_on_real_frames_at_any_batch(reference_export):
    out, _ = reference_export
    spec = read_spec(out)
    frames = sample_batch(spec, 5, seed=7)
    net = CleftNet()
    net.load_state_dict(torch.load(REFERENCE_DIR / "reference.pt", weights_only=True))
    with torch.no_grad():
        logits, cam = WithHeatmap(net.eval())(torch.from_numpy(frames))
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for n in (1, 5):
        got_logits, got_cam = sess.run(None, {"frames": frames[:n]})
        np.testing.assert_allclose(got_logits, logits[:n].numpy(), atol=1e-4)
        np.testing.assert_allclose(got_cam, cam[:n].numpy(), atol=1e-4)
    assert got_cam.shape == (5, 16, 20)


def test_no_heatmap_leaves_the_second_output_out(reference_export_run):
    out, stdout = reference_export_run(heatmap=False)  # `export --reference --no-heatmap --json`, once a session
    summary = json.loads(stdout)
    assert summary["outputs"] == ["logits"] and summary["max_abs_diff"] <= 1e-4 and summary["out"] == str(out)
    model = onnx.load(str(out))
    assert [o.name for o in model.graph.output] == ["logits"]
    assert read_spec(out).output.heatmap is None


def test_checkpoint_with_arch_and_spec_exports(tmp_path):
    torch.manual_seed(1)
    ckpt = tmp_path / "resnet.pt"
    torch.save(ResNet18(width=8).state_dict(), ckpt)
    # the registry's resnet18 is full width: a narrow checkpoint must not fit it
    spec = tmp_path / "spec.toml"
    spec.write_text('[input]\nname = "x"\nchannels = 3\ncolor = "RGB"\nheight = 96\nwidth = 128\n'
                    '[output]\nname = "y"\nclass_names = ["normal", "cleft"]\n')
    r = cli("export", "--checkpoint", ckpt, "--arch", "resnet18", "--spec", spec, "--out", tmp_path / "m.onnx")
    assert r.returncode == 1 and "does not fit --arch resnet18" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "m.onnx").exists()
    torch.save(CleftNet().state_dict(), ckpt)
    r = cli("export", "--checkpoint", ckpt, "--arch", "reference", "--out", tmp_path / "m.onnx")
    assert r.returncode == 0, r.stderr
    assert read_spec(tmp_path / "m.onnx").input.channels == 1


def test_inspect_prints_spec_inputs_outputs_and_opset(reference_export):
    out, _ = reference_export
    r = cli("inspect", out)
    assert r.returncode == 0
    assert "opset 18" in r.stdout and "frames" in r.stdout and "heatmap" in r.stdout
    assert "crop_sector True" in r.stdout and "threshold" in r.stdout
    info = json.loads(cli("inspect", out, "--json").stdout)
    assert info["opset"] == 18 and info["spec"]["output"]["positive_classes"] == [1]
    assert [o["name"] for o in info["outputs"]] == ["logits", "heatmap"]
    assert info["inputs"][0]["shape"][1:] == [1, 128, 160]


def test_checkpoint_without_spec_gets_the_arch_default(tmp_path):
    torch.manual_seed(2)
    ckpt = tmp_path / "mnv3.pt"
    torch.save({"state_dict": MobileNetV3Small().state_dict()}, ckpt)  # a training-loop style dict works too
    r = cli("export", "--checkpoint", ckpt, "--arch", "mobilenet_v3_small", "--out", tmp_path / "m.onnx")
    assert r.returncode == 0, r.stderr
    spec = read_spec(tmp_path / "m.onnx")
    assert (spec.input.channels, spec.input.height, spec.input.width, spec.input.color) == (3, 224, 224, "RGB")
