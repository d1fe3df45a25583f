"""The inference stage on OpenVINO CPU (LATENCY hint, batch 1) against OpenVINO's own benchmark_app
on the same model, device and hint. Target: within 5 % of benchmark_app's median latency. With
`--hint throughput`: `cleftedge bench --hint throughput` against `benchmark_app -hint throughput`
(frames per second). Target: within 5 % of benchmark_app's throughput.

    .venv/bin/python benchmarks/bench_inference.py model.onnx            # e.g. cleftedge export --reference
    .venv/bin/python benchmarks/bench_inference.py --make-model /tmp/cnn.onnx   # a small CNN to try it on
    .venv/bin/python benchmarks/bench_inference.py model.onnx --hint throughput --pairs 6 --seconds 5

Runs alternate, A B A B ... (A: our backend's infer(), B: `benchmark_app -m MODEL -d CPU -hint latency
-shape [1,C,H,W] -t SECONDS`), so that drift in machine load hits both alike; each pair gives a ratio
ours/benchmark_app, and the verdict is on the median of those ratios.

Two figures for ours, both medians over the run:
- engine clock: OpenVINO's own time for each of our requests (InferRequest.latency). benchmark_app
  reports exactly this figure for its requests, so this ratio is like for like: it shows whether our
  backend makes OpenVINO itself run slower (configuration, threads, precision, input handling).
- wall clock: the whole Backend.infer() call from Python (input copied into the request, inference,
  outputs back as numpy): what the runtime's inference stage records. It adds OpenVINO's Python call
  cost, which a bare `InferRequest.infer()` measures (`--floor`).
The verdict is on the engine clock; the wall-clock ratio is printed beside it.

Throughput (`--hint throughput`): A is the command a user runs, `cleftedge bench --model MODEL
--backend openvino --device CPU --hint throughput -t SECONDS --json` (OpenVINO's THROUGHPUT hint,
as many infer requests as the compiled model asks for on an AsyncInferQueue, batch fixed to 1), B is
`benchmark_app -m MODEL -d CPU -hint throughput -shape [1,C,H,W] -t SECONDS`; each pair gives the
ratio of frames per second ours/benchmark_app (1.0 or more: ours is as fast), and the verdict is on
the median ratio; pairs alternate A B and B A. Both tools start the same number of requests; neither counts its warm-up.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.05


def ours(model: Path, seconds: float, device: str, cache: str, batch1: bool) -> tuple[float, float, float]:
    """Medians (ms) of: our call's wall time, OpenVINO's own time for it, and a bare
    InferRequest.infer() on the same request, wall time (the floor of any call from Python)."""
    import numpy as np

    from cleftedge.runtime.backends import open_backend

    options = {"cache_dir": cache, "hint": "LATENCY", **({"batch": 1} if batch1 else {})}
    with open_backend(model, "openvino", device=device, **options) as b:
        x = np.random.default_rng(0).normal(0, 1, (1, *b.spec.input.shape)).astype(np.float32)
        b.warmup(20)
        wall, engine = [], []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            b.infer(x)
            wall.append(b.last_ms)
            engine.append(b.last_engine_ms)
        bare = []
        end = time.perf_counter() + min(seconds, 2.0)
        while time.perf_counter() < end:
            t = time.perf_counter()
            b.request.infer()
            bare.append((time.perf_counter() - t) * 1e3)
    return statistics.median(wall), statistics.median(engine), statistics.median(bare)


def ours_throughput(model: Path, seconds: float, device: str) -> tuple[float, int]:
    """`cleftedge bench --hint throughput` as a user runs it: (frames/s, requests in flight)."""
    import json

    exe = Path(sys.executable).parent / "cleftedge"
    cmd = [str(exe), "bench", "--model", str(model), "--backend", "openvino", "--device", device, "--hint",
           "throughput", "-t", str(seconds), "--budget-ms", "1e9", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"cleftedge bench failed ({out.returncode}): {out.stderr[-2000:]}")
    summary = json.loads(out.stdout)
    return summary["throughput_fps"], summary["streams"]


def benchmark_app_text(model: Path, seconds: float, device: str, shape: tuple[int, ...], hint: str) -> str:
    exe = shutil.which("benchmark_app", path=str(Path(sys.executable).parent)) or shutil.which("benchmark_app")
    if exe is None:
        sys.exit("benchmark_app not found (it comes with the openvino package)")
    cmd = [exe, "-m", str(model), "-d", device, "-hint", hint, "-shape", "[" + ",".join(map(str, shape)) + "]",
           "-t", str(int(seconds))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"benchmark_app failed ({out.returncode}):\n{(out.stdout + out.stderr)[-2000:]}")
    return out.stdout + out.stderr


def benchmark_app(model: Path, seconds: float, device: str, shape: tuple[int, ...]) -> float:
    """benchmark_app -hint latency: its median latency (ms)."""
    text = benchmark_app_text(model, seconds, device, shape, "latency")
    found = re.search(r"Latency:\s*(?:\n.*?)*?Median:\s*([\d.]+)\s*(ms|us)", text)
    if not found:
        sys.exit(f"benchmark_app printed no median latency:\n{text[-2000:]}")
    return float(found.group(1)) / (1000.0 if found.group(2) == "us" else 1.0)


def benchmark_app_throughput(model: Path, seconds: float, device: str, shape: tuple[int, ...]) -> tuple[float, int]:
    """benchmark_app -hint throughput: (frames/s, infer requests it ran)."""
    text = benchmark_app_text(model, seconds, device, shape, "throughput")
    fps = re.search(r"Throughput:\s*([\d.]+)\s*FPS", text)
    requests = re.search(r"(\d+) inference requests", text)
    if not fps:
        sys.exit(f"benchmark_app printed no throughput:\n{text[-2000:]}")
    return float(fps.group(1)), int(requests.group(1)) if requests else 0


def make_model(path: Path, size: int = 224) -> Path:
    """A small CNN (5 stages of a strided and a plain 3x3 conv, each with ReLU; global pool; 2 logits),
    dynamic batch, with a spec: a few ms on a CPU core, like the reference model."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from cleftedge.spec import METADATA_KEY, ModelSpec

    rng = np.random.default_rng(0)
    nodes, inits, prev, cin = [], [], "image", 1
    for i, (cout, stride) in enumerate((c, s) for c in (24, 48, 96, 192, 384) for s in (2, 1)):
        w = rng.normal(0, (2.0 / (9 * cin)) ** 0.5, (cout, cin, 3, 3)).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(np.zeros(cout, np.float32), f"b{i}")]
        nodes += [helper.make_node("Conv", [prev, f"w{i}", f"b{i}"], [f"c{i}"], pads=[1, 1, 1, 1],
                                   strides=[stride, stride]),
                  helper.make_node("Relu", [f"c{i}"], [f"r{i}"])]
        prev, cin = f"r{i}", cout
    inits.append(numpy_helper.from_array(rng.normal(0, 0.05, (2, cin)).astype(np.float32), "fc"))
    nodes += [helper.make_node("GlobalAveragePool", [prev], ["pool"]), helper.make_node("Flatten", ["pool"], ["flat"]),
              helper.make_node("Gemm", ["flat", "fc"], ["logits"], transB=1)]
    graph = helper.make_graph(nodes, "small_cnn",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, size, size])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    spec = ModelSpec.from_dict({"model_name": "small_cnn", "input": {"name": "image", "height": size, "width": size},
                                "output": {"name": "logits"}})
    helper.set_model_props(model, {METADATA_KEY: spec.to_json()})
    onnx.save(model, str(path))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", type=Path, help="ONNX or IR .xml carrying a cleftedge spec")
    ap.add_argument("--make-model", type=Path, help="write a small test CNN here and benchmark it")
    ap.add_argument("--pairs", type=int, default=4, help="A B pairs (default 4)")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds per run (benchmark_app -t; default 10)")
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--hint", choices=("latency", "throughput"), default="latency",
                    help="latency (default): the inference stage against benchmark_app's median latency; "
                    "throughput: `cleftedge bench --hint throughput` against benchmark_app's frames per second")
    ap.add_argument("--dynamic-batch", action="store_true",
                    help="keep a dynamic batch dynamic; default: batch fixed to 1, as the live runtime opens it "
                         "(Model.open(steady=True)) and as benchmark_app's -shape makes it")
    args = ap.parse_args()
    model = make_model(args.make_model) if args.make_model else args.model
    if model is None:
        ap.error("give a model path or --make-model PATH")

    from cleftedge.runtime.model_spec import resolve_spec

    spec = resolve_spec(model)
    shape = (1, *spec.input.shape)
    if args.hint == "throughput":
        compare_throughput(model, shape, args)
        return
    print(f"model {model} input {shape} device {args.device} hint LATENCY, {args.pairs} pairs of {args.seconds:g} s"
          f" runs, ours with {'batch fixed to 1' if not args.dynamic_batch else 'a dynamic batch'}")
    engine_ratios, wall_ratios, floor_ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="cleftedge-ovcache-") as cache:
        for i in range(args.pairs):
            wall, engine, bare = ours(model, args.seconds, args.device, cache, batch1=not args.dynamic_batch)
            b = benchmark_app(model, args.seconds, args.device, shape)
            engine_ratios.append(engine / b)
            wall_ratios.append(wall / b)
            floor_ratios.append(bare / b)
            print(f"  pair {i + 1}: A ours {engine:.3f} ms engine clock, {wall:.3f} ms wall (bare infer() {bare:.3f})"
                  f"  B benchmark_app {b:.3f} ms  ratios {engine / b:.3f} / {wall / b:.3f}", flush=True)
    med = statistics.median(engine_ratios)
    wall_med, floor_med = statistics.median(wall_ratios), statistics.median(floor_ratios)
    verdict = "within" if med <= 1 + TARGET else "NOT within"
    print(f"median ratio ours/benchmark_app, engine clock (like for like) = {med:.3f} ({(med - 1) * 100:+.1f} %): "
          f"{verdict} {TARGET:.0%}")
    print(f"median ratio ours/benchmark_app, wall clock of our Python call = {wall_med:.3f} "
          f"({(wall_med - 1) * 100:+.1f} %); a bare InferRequest.infer() from Python: {floor_med:.3f}")


def compare_throughput(model: Path, shape: tuple[int, ...], args: argparse.Namespace) -> None:
    print(f"model {model} input {shape} device {args.device} hint THROUGHPUT, {args.pairs} pairs of "
          f"{args.seconds:g} s runs: cleftedge bench --hint throughput, then benchmark_app -hint throughput")
    ratios = []
    for i in range(args.pairs):
        # A B, then B A: a drift in the machine's load (and whatever the first run of a pair pays) falls on both
        if i % 2 == 0:
            ours, our_requests = ours_throughput(model, args.seconds, args.device)
            theirs, their_requests = benchmark_app_throughput(model, args.seconds, args.device, shape)
        else:
            theirs, their_requests = benchmark_app_throughput(model, args.seconds, args.device, shape)
            ours, our_requests = ours_throughput(model, args.seconds, args.device)
        ratios.append(ours / theirs)
        print(f"  pair {i + 1}: A cleftedge bench {ours:.1f} frames/s ({our_requests} requests in flight)  "
              f"B benchmark_app {theirs:.1f} frames/s ({their_requests} requests)  ratio {ours / theirs:.3f}",
              flush=True)
    med = statistics.median(ratios)
    verdict = "within" if med >= 1 - TARGET else "NOT within"
    print(f"median ratio of frames/s ours/benchmark_app = {med:.3f} ({(med - 1) * 100:+.1f} %): {verdict} {TARGET:.0%}")


if __name__ == "__main__":
    main()
