"""Lazy imports of heavy packages, with an error that names the pip extra: `require` for a package,
`load` for the "module:attr" references of the target table (and the CUDA layers)."""

import importlib
from types import ModuleType
from typing import Any

from cleftedge.errors import CleftEdgeError


def require(module: str, extra: str, what: str | None = None) -> ModuleType:
    """Import `module` or raise a CleftEdgeError naming `pip install cleftedge[extra]`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing(what or module.split(".")[0], exc, extra) from None


def load(ref: str, extra: str) -> Any:
    """The object a "package.module:attr" reference names, imported on first use. A package it needs
    that is missing is one CleftEdgeError naming `pip install cleftedge[extra]`."""
    module, _, attr = ref.partition(":")
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise _missing(getattr(exc, "name", None) or module, exc, extra) from None
    if not attr or not hasattr(found, attr):
        raise CleftEdgeError(f"{module} has no '{attr}' (from the reference '{ref}')", "package.module:attr naming "
                             "an object of that module", "fix the reference (cleftedge/targets.py)")
    return getattr(found, attr)


def _missing(need: str, exc: ImportError, extra: str) -> CleftEdgeError:
    return CleftEdgeError(f"{need} is not installed ({exc})", f"the '{extra}' extra for this step",
                          f"install it with: pip install 'cleftedge[{extra}]'")
