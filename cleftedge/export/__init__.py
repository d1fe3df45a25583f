"""Build-host side: PyTorch -> ONNX, bring-your-own ONNX, engine builders and bundle writers."""
