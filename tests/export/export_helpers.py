import warnings

import torch


class Softmaxed(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def export_dynamic(module, path, channels=3, h=96, w=128, input_name="image", output_name="scores"):
    """What a user hands us: an ONNX with dynamic batch and dynamic H x W. Made by the TorchScript exporter, as
    most ONNX files in the wild were: a tenth of the dynamo exporter's time (cleftedge's own export, which
    uses dynamo, is tested in test_export_reference.py)."""
    module.eval()
    x = torch.randn(2, channels, h, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), str(path), input_names=[input_name], output_names=[output_name],
                          dynamic_axes={input_name: {0: "batch", 2: "height", 3: "width"}, output_name: {0: "batch"}},
                          opset_version=18, dynamo=False)
    return path


RGB_SPEC = """model_name = "theirs"
[input]
name = "{input}"
channels = 3
color = "RGB"
height = 96
width = 128
resize = "letterbox"
mean = [0.485, 0.456, 0.406]
std = [0.229, 0.224, 0.225]
crop_sector = true

[output]
name = "{output}"
class_names = ["normal", "cleft"]
positive_classes = [1]
kind = "{kind}"
activation = "{activation}"
threshold = 0.5
"""


def write_spec(path, input="image", output="scores", kind="logits", activation="softmax", **over):
    text = RGB_SPEC.format(input=input, output=output, kind=kind, activation=activation)
    for k, v in over.items():
        text = text.replace(f"{k} = 3", f"{k} = {v}")
    path.write_text(text)
    return path
