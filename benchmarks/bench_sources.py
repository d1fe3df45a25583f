"""Frame sources: decode rate and memory for a long DICOM cine, and decode rate for an mp4.

    .venv/bin/python benchmarks/bench_sources.py [--frames 300] [--size 640x480]

A cart's cine loop is usually multi-frame JPEG baseline YBR_FULL_422. This writes one (and an
uncompressed MONOCHROME2 one, and an mp4 of the same frames), then reads each through the runtime's
own sources and prints frames per second against a 30 fps scanner (ratio > 1: faster than real time)
and the peak Python heap while iterating a cine frame by frame, against pydicom decoding it whole
(ds.pixel_array), which is what a naive loader would hold in memory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "runtime" / "sources"))

SCANNER_FPS = 30.0


def synthetic_frames(n: int, h: int, w: int) -> np.ndarray:
    """Speckle-like grey frames with a moving bright blob, as RGB (so JPEG has something real to code)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.empty((n, h, w, 3), np.uint8)
    base = rng.rayleigh(40, (h, w))
    for i in range(n):
        blob = 120 * np.exp(-(((xx - w * (0.3 + 0.4 * i / n)) ** 2 + (yy - h / 2) ** 2) / (2 * (h / 8) ** 2)))
        grey = np.clip(base * 0.7 + rng.rayleigh(15, (h, w)) + blob, 0, 255).astype(np.uint8)
        out[i] = grey[..., None]
    return out


def timed(make_iter) -> tuple[float, int]:
    t = time.perf_counter()
    n = sum(1 for _ in make_iter())
    return n / (time.perf_counter() - t), n


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="640x480")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    from pydicom import dcmread
    from sources_helpers import write_jpeg_ybr422, write_mono

    from cleftedge.runtime.sources import open_source
    from cleftedge.runtime.sources.dicom import iter_dicom_frames

    rgb = synthetic_frames(a.frames, h, w)
    with tempfile.TemporaryDirectory() as tmp:
        jpeg = write_jpeg_ybr422(Path(tmp) / "cine_jpeg.dcm", rgb, fps=30)
        mono = write_mono(Path(tmp) / "cine_mono.dcm", rgb[..., 0], frame_time_ms=1000 / 30)
        mp4 = Path(tmp) / "cine.mp4"
        wr = cv2.VideoWriter(str(mp4), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
        for f in rgb:
            wr.write(f)
        wr.release()
        print(f"{a.frames} frames of {w}x{h}; file sizes: JPEG cine {jpeg.stat().st_size / 2**20:.1f} MiB, "
              f"uncompressed cine {mono.stat().st_size / 2**20:.1f} MiB, mp4 {mp4.stat().st_size / 2**20:.1f} MiB")
        for name, path in (("DICOM JPEG YBR_FULL_422", jpeg), ("DICOM MONOCHROME2 native", mono), ("mp4 (mp4v)", mp4)):
            fps, n = timed(lambda p=path: open_source(str(p)))
            print(f"  {name:26s} {fps:8.0f} frames/s  ({fps / SCANNER_FPS:5.1f} x a {SCANNER_FPS:.0f} fps scanner)")
        for name, path in (("JPEG cine", jpeg), ("uncompressed cine", mono)):
            stream = peak_mb(lambda p=path: sum(1 for _ in iter_dicom_frames(p)))
            whole = peak_mb(lambda p=path: dcmread(p).pixel_array)
            print(f"  peak heap, {name:17s}: frame by frame {stream:6.1f} MiB, whole (pixel_array) {whole:6.1f} MiB "
                  f"(ratio {whole / max(stream, 1e-6):.0f}x)")


if __name__ == "__main__":
    main()
