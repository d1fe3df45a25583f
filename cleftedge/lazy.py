"""Lazy imports of heavy packages, with an error that names the pip extra."""

import importlib
from types import ModuleType

from cleftedge.errors import CleftEdgeError


def require(module: str, extra: str, what: str | None = None) -> ModuleType:
    """Import `module` or raise a CleftEdgeError naming `pip install cleftedge[extra]`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        need = what or module.split(".")[0]
        raise CleftEdgeError(
            f"{need} is not installed ({exc})",
            f"the '{extra}' extra for this step",
            f"install it with: pip install 'cleftedge[{extra}]'",
        ) from None
