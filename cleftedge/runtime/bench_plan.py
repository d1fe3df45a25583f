"""What `cleftedge bench` was asked to run, checked before anything is loaded: the run length
(-t/--duration or --frames), the mode (--hint), streams, batch (--batch or --shapes, in trtexec's
`name:NxCxHxW` or benchmark_app's `name[N,C,H,W]` form), warm-up and the per-layer profile.
Every bad value or combination is one line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cleftedge.errors import CleftEdgeError
from cleftedge.spec import ModelSpec

DEFAULT_FRAMES = 300
HINTS = ("latency", "throughput")
SHAPE_FORMS = "name:NxCxHxW (trtexec), name[N,C,H,W] (benchmark_app), or NxCxHxW without a name"
_TRTEXEC = re.compile(r"^(?:(?P<name>[^:\[\]]+):)?(?P<dims>\d+(?:x\d+)*)$")
_BENCHMARK_APP = re.compile(r"^(?P<name>[^:\[\]]*)\[(?P<dims>\d+(?:,\d+)*)\]$")


@dataclass(frozen=True)
class Shape:
    """An input shape given with --shapes; `name` None when the text names no input."""

    name: str | None
    dims: tuple[int, ...]


def parse_shape(text: str) -> Shape:
    """One input shape in trtexec's or benchmark_app's form."""
    value = text.strip().replace(" ", "")
    for pattern, sep in ((_TRTEXEC, "x"), (_BENCHMARK_APP, ",")):
        found = pattern.match(value)
        if found:
            dims = tuple(int(d) for d in found.group("dims").split(sep))
            if len(dims) != 4 or min(dims) < 1:
                break
            return Shape(found.group("name") or None, dims)
    raise CleftEdgeError(f"--shapes {text!r}", f"one input shape of 4 positive dimensions: {SHAPE_FORMS}",
                         "e.g. --shapes frames:4x1x128x160")


@dataclass(frozen=True)
class BenchPlan:
    hint: str
    frames: int | None  # one of frames and seconds is set
    seconds: float | None
    warmup: int
    batch: int
    streams: int | None
    shape: Shape | None
    profile_top: int | None  # show this many slowest layers; None: no profile

    @property
    def throughput(self) -> bool:
        """Whether the plan asks for throughput (OpenVINO's hint) rather than latency."""
        return self.hint == "throughput"

    def options_for(self, backend_options: dict[str, Any], backend: str) -> dict[str, Any]:
        """The backend options this plan needs, refused in one line where `backend` has no such option."""
        wanted: dict[str, Any] = {}
        if "hint" in backend_options:  # OpenVINO compiles for its performance hint
            wanted["hint"] = self.hint.upper()
        if "batch" in backend_options:  # OpenVINO fixes (reshapes) the batch, as benchmark_app -b does
            wanted["batch"] = self.batch
        if self.streams is not None:
            if "streams" not in backend_options:
                raise CleftEdgeError(f"--nstreams {self.streams} on the {backend} backend",
                                     "a backend that runs several streams (openvino, onnxruntime)",
                                     "drop --nstreams (this backend runs one request at a time)")
            wanted["streams"] = self.streams
        return wanted

    def check_shape(self, spec: ModelSpec) -> None:
        """--shapes names the spec's input and keeps its C, H, W (the spec fixes them; only N may change)."""
        if self.shape is None:
            return
        if self.shape.name is not None and self.shape.name != spec.input.name:
            dims = "x".join(map(str, spec.input.shape))
            raise CleftEdgeError(f"--shapes names input '{self.shape.name}'", f"the model's input '{spec.input.name}'",
                                 f"e.g. --shapes {spec.input.name}:{self.batch}x{dims}")
        if self.shape.dims[1:] != tuple(spec.input.shape):
            want = "x".join(map(str, spec.input.shape))
            raise CleftEdgeError(f"--shapes {'x'.join(map(str, self.shape.dims))}",
                                 f"Nx{want}: the spec fixes channels, height and width, only the batch N can change",
                                 f"e.g. --shapes {spec.input.name}:{self.batch}x{want}, or --batch {self.batch}")


def plan_from_args(args: Any) -> BenchPlan:
    """A BenchPlan from bench's flags, or one line saying which flag is wrong."""
    if args.frames is not None and args.duration is not None:
        raise CleftEdgeError(f"--frames {args.frames} with -t {args.duration}", "one run length",
                             "pass either --frames N or -t SECONDS")
    if args.frames is not None and args.frames < 1:
        raise CleftEdgeError(f"--frames {args.frames}", "a positive number", "e.g. --frames 300")
    if args.duration is not None and not args.duration > 0:
        raise CleftEdgeError(f"-t {args.duration}", "a positive number of seconds", "e.g. -t 10")
    if args.warmup < 0:
        raise CleftEdgeError(f"--warmup {args.warmup}", "0 or more requests", "e.g. --warmup 20")
    for flag, value in (("--batch", args.batch), ("--nstreams", args.nstreams),
                        ("--profile-layers", args.profile_layers)):
        if value is not None and value < 1:
            raise CleftEdgeError(f"{flag} {value}", "1 or more", f"e.g. {flag} 4")
    if args.nstreams is not None and args.hint != "throughput":
        raise CleftEdgeError(f"--nstreams {args.nstreams} with --hint {args.hint}",
                             "--hint throughput (latency mode runs one request at a time)",
                             "add --hint throughput, or drop --nstreams")
    shape = parse_shape(args.shapes) if args.shapes else None
    batch = args.batch
    if shape is not None:
        if batch is not None and batch != shape.dims[0]:
            raise CleftEdgeError(f"--batch {batch} with --shapes {args.shapes}", "one batch size",
                                 "drop --batch (--shapes gives the batch as its first dimension)")
        batch = shape.dims[0]
    frames = args.frames if args.frames is not None or args.duration is not None else DEFAULT_FRAMES
    return BenchPlan(args.hint, frames, args.duration, args.warmup, batch or 1, args.nstreams, shape,
                     args.profile_layers)
