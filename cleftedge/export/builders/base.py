"""What a builder returns; the bundle writer turns it into a bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BuildResult:
    engine: str  # the engine's path relative to the bundle's engine folder
    files: list[str]  # every file the builder wrote into the engine folder (relative)
    precision: str
    toolkit: dict[str, str]  # toolkit versions at build
    target: dict[str, str]  # device / compute capability / power mode at build
    checks: list[str] = field(default_factory=list)  # what the builder verified, for the manifest
    notes: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    extra: dict[str, Path] = field(default_factory=dict)  # files kept beside the bundle (timing cache)
    # the precision the engine's float (not quantized) layers run in: f32, bf16 or f16 (engine.inference_precision)
    inference_precision: str | None = None
