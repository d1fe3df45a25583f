"""Checkpoints saved from torchvision's own resnet18 and mobilenet_v3_small load with `export
--checkpoint --arch resnet18|mobilenet_v3_small`, and the exported ONNX computes what torchvision's
model computes (same inputs, within the export's 1e-4)."""

import json

import numpy as np
import pytest
import real_models
import torch

from cleftedge.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tv():
    try:
        return real_models.torchvision_models()
    except Exception as exc:
        if real_models.os.environ.get("CLEFTEDGE_REQUIRE_MODELS") or real_models.os.environ.get("CI"):
            pytest.fail(f"could not fetch {real_models.TORCHVISION}: {type(exc).__name__}: {exc}")
        pytest.skip(f"{real_models.TORCHVISION} could not be downloaded here (offline?)")


def _randomise_bn(net, seed):
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return net.eval()


@pytest.mark.parametrize("arch,factory,classes", [("resnet18", "resnet18", 3),
                                                  ("mobilenet_v3_small", "mobilenet_v3_small", 5)])
def test_a_torchvision_checkpoint_exports_and_matches_torchvision(tv, tmp_path, capsys, arch, factory, classes):
    resnet, mobilenet = tv
    torch.manual_seed(0)
    net = _randomise_bn(getattr(resnet if arch == "resnet18" else mobilenet, factory)(num_classes=classes), 1)
    ckpt = tmp_path / "tv.pt"
    torch.save(net.state_dict(), ckpt)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"input": {"name": "image", "height": 224, "width": 224, "channels": 3,
                                          "color": "RGB", "mean": [0.485, 0.456, 0.406],
                                          "std": [0.229, 0.224, 0.225]},
                                "output": {"name": "logits", "class_names": [f"c{i}" for i in range(classes)],
                                           "positive_classes": [1]}}))
    out = tmp_path / "m.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--arch", arch, "--spec", str(spec), "--out", str(out),
                 "--json"]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["max_abs_diff"] <= 1e-4
    import onnxruntime as ort

    x = np.random.default_rng(2).normal(size=(2, 3, 224, 224)).astype(np.float32)
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
