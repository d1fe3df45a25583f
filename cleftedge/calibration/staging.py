"""A calibrated model is written under a temporary name beside `--out` (with its IR `.bin` and its
`.calibration.json`), checked there, and renamed onto `--out` only when every step passed: a failure
anywhere (the recipe, its self-check, auto keep-float, the diagnosis) leaves no file behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from cleftedge.calibration.record import sidecar_path


def companions(model: Path) -> list[Path]:
    """Every file that belongs to a calibrated model, the model itself last (it names the rest)."""
    parts = [sidecar_path(model)]
    if model.suffix.lower() == ".xml":
        parts.insert(0, model.with_suffix(".bin"))
    return [*parts, model]


def discard(model: Path) -> None:
    """Delete a calibrated model and every companion file it has."""
    for p in companions(model):
        p.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield a temporary model path beside `out` (same suffix); on success move it and its
    companions onto `out`, on any failure delete them."""
    out = Path(out)
    made = [d for d in (out.parent, *out.parent.parents) if not d.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.with_name(f".{out.stem}.{secrets.token_hex(4)}.staging{out.suffix}")
    done = False
    try:
        yield stage
        for src, dst in zip(companions(stage), companions(out), strict=True):
            if src.exists():
                os.replace(src, dst)
            elif dst.exists() and dst != out:
                dst.unlink()  # a stale .bin/.calibration.json from an older run would not match
        done = True
    finally:
        discard(stage)
        for d in made if not done else ():  # folders this call made for a model that never came
            with contextlib.suppress(OSError):
                d.rmdir()
