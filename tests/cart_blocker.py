"""Python source that makes torch, onnx and nncf (and pyarrow and Ray, which come with the ray extra)
unimportable in the process that runs it (a cart does not install them): prepend it to the code a
cart-flow test runs in a subprocess."""

BLOCKED = ("torch", "onnx", "nncf", "onnxscript", "pyarrow", "ray")

BLOCKER = f"""
import importlib.abc, sys
BLOCKED = {BLOCKED!r}
class CartBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(name + " is not installed on a cart")
        return None
sys.meta_path.insert(0, CartBlocker())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED:
        del sys.modules[name]
"""
