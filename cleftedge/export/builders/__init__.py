"""Engine builders: one file per backend, named by the target table (cleftedge/targets.py)."""

from __future__ import annotations

from collections.abc import Callable

from cleftedge.lazy import load
from cleftedge.targets import get_target


def builder_for(backend: str) -> Callable:
    """The function that builds `backend`'s engine for a bundle, imported now."""
    return load(get_target(backend).builder, "build")
