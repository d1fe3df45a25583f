"""`cleftedge bench` as trtexec and benchmark_app users run it (-t, --hint, --nstreams, --batch,
--shapes, --warmup, --profile-layers) on real onnxruntime and OpenVINO with a tiny model, and the
backend methods under it (run_throughput, profile_layers, check_batch)."""

import json
import math

import numpy as np
import onnx
import pytest
from backends_helpers import TinyGraph, make_onnx, make_spec, random_batch

from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import open_backend
from cleftedge.runtime.backends.onnxruntime_profile import node_times
from cleftedge.runtime.backends.perf import RunLength

BACKENDS = ("onnxruntime", "openvino")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEFTEDGE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A dynamic-batch and a static-batch (1) tiny model, every node named as an exporter names them."""
    folder = tmp_path_factory.mktemp("bench-models")
    spec = make_spec()
    paths = {"dynamic": make_onnx(folder / "tiny.onnx", spec), "static": make_onnx(folder / "static.onnx", spec,
                                                                                   TinyGraph(batch=1))}
    for path in paths.values():
        m = onnx.load(str(path))
        for i, node in enumerate(m.graph.node):
            node.name = f"/layer{i}/{node.op_type}"
        onnx.save(m, str(path))
    return paths


def bench(capsys, *args):
    """(exit code, parsed JSON or stdout text, stderr) of an in-process `cleftedge bench`."""
    rc = main(["bench", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if "--json" in args and rc == 0 else out), err


def refused(capsys, *args):
    rc, _, err = bench(capsys, *args)
    assert rc == 1 and err.count("\n") == 1 and "internal error" not in err, err
    return err


@pytest.mark.parametrize("backend", BACKENDS)
def test_duration_batch_and_throughput_figure(models, capsys, backend):
    rc, s, _ = bench(capsys, "--model", models["dynamic"], "--backend", backend, "-t", 0.5, "--batch", 3,
                     "--budget-ms", 10000, "--warmup", 2, "--json")
    assert rc == 0 and s["mode"] == "latency" and s["batch"] == 3
    assert s["seconds"] >= 0.5 and s["requests"] >= 1 and s["frames"] == 3 * s["requests"]
    assert s["throughput_fps"] == pytest.approx(s["frames"] / s["seconds"])
    assert s["stages"]["inference"]["count"] == s["requests"]  # the warm-up requests are not counted
    assert ("inference_engine_clock" in s) == (backend == "openvino")  # both clocks where the engine has its own


@pytest.mark.parametrize("backend", BACKENDS)
def test_throughput_hint_keeps_streams_busy(models, capsys, backend):
    rc, s, _ = bench(capsys, "--model", models["dynamic"], "--backend", backend, "--hint", "throughput",
                     "--nstreams", 2, "--frames", 40, "--budget-ms", 10000, "--json")
    assert rc == 0 and s["mode"] == "throughput" and s["streams"] == 2
    assert s["requests"] == 40 and s["frames"] == 40 and s["throughput_fps"] > 0
    assert s["request_latency"]["count"] == 40
    if backend == "openvino":  # OpenVINO's own clock for each request, beside the wall clock
        assert s["inference_engine_clock"]["count"] == 40
        assert s["inference_engine_clock"]["p50"] <= s["request_latency"]["p50"]
    rc, one, _ = bench(capsys, "--model", models["dynamic"], "--backend", backend, "--hint", "throughput",
                       "--nstreams", 1, "-t", 0.3, "--shapes", "image[2,1,16,16]", "--budget-ms", 10000, "--json")
    assert rc == 0 and one["streams"] == 1 and one["batch"] == 2 and one["frames"] == 2 * one["requests"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_profile_layers_names_real_layers_whose_shares_add_up(models, capsys, tmp_path, backend):
    rc, s, _ = bench(capsys, "--model", models["dynamic"], "--backend", backend, "--frames", 5,
                     "--profile-layers", 3, "--budget-ms", 10000, "--json")
    assert rc == 0
    layers = s["profile_layers"]["layers"]
    assert sum(r["share"] for r in layers) == pytest.approx(100.0, abs=0.01)
    assert [r["ms_per_run"] for r in layers] == sorted((r["ms_per_run"] for r in layers), reverse=True)
    assert {r["name"] for r in layers} <= graph_layer_names(models["dynamic"], backend, tmp_path)
    rc, text, _ = bench(capsys, "--model", models["dynamic"], "--backend", backend, "--frames", 5,
                        "--profile-layers", 2, "--budget-ms", 10000)
    assert rc == 0 and "slowest layers" in text and f"in the other {len(layers) - 2} layers" in text


def graph_layer_names(path, backend, tmp_path):
    """The layers of the graph the engine runs after its own fusions: onnxruntime's optimised model,
    OpenVINO's runtime model (batch fixed to 1, as bench opens it)."""
    if backend == "onnxruntime":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
        ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return {n.name for n in onnx.load(opts.optimized_model_filepath).graph.node}
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))
    model.reshape([1, 1, 16, 16])
    compiled = core.compile_model(model, "CPU")
    return {op.get_friendly_name() for op in compiled.get_runtime_model().get_ordered_ops()}


@pytest.mark.parametrize("flags,needle", [
    (("--frames", 10, "-t", 1), "one run length"),
    (("--nstreams", 2), "--hint throughput"),
    (("--batch", 2, "--shapes", "image:3x1x16x16"), "one batch size"),
    (("--shapes", "image:2x3x16x16"), "only the batch N can change"),
    (("--shapes", "frames:2x1x16x16"), "the model's input 'image'"),
    (("--shapes", "2x1x16"), "4 positive dimensions"),
    (("-t", 0), "positive number of seconds"),
    (("--batch", 0), "1 or more"),
    (("--warmup", -1), "0 or more"),
])
def test_bad_flags_are_one_line(models, capsys, flags, needle):
    assert needle in refused(capsys, "--model", models["dynamic"], *flags)


def test_a_batch_the_engine_cannot_take_is_refused(models, capsys):
    # without the check infer() would pad or split it silently and the figures would not be for batch 4
    err = refused(capsys, "--model", models["static"], "--batch", 4)
    assert "takes batch 1" in err and "dynamic batch" in err
    assert "takes batch 1" in refused(capsys, "--model", models["static"], "--hint", "throughput", "--shapes",
                                      "image:4x1x16x16")
    # OpenVINO reshapes a static batch, as benchmark_app -b does
    rc, s, _ = bench(capsys, "--model", models["static"], "--backend", "openvino", "--batch", 4, "--frames", 6,
                     "--budget-ms", 10000, "--json")
    assert rc == 0 and s["batch"] == 4 and s["requests"] == 2 and s["frames"] == 8


def test_nstreams_on_a_backend_with_one_stream_is_refused(tmp_path, capsys):
    plan = tmp_path / "model.plan"
    plan.write_bytes(b"not loaded: the flag is refused first")
    assert "drop --nstreams" in refused(capsys, "--model", plan, "--hint", "throughput", "--nstreams", 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_methods_validate(models, backend):
    b = open_backend(models["static"], backend, **({"cache_dir": ""} if backend == "openvino" else {}))
    with pytest.raises(CleftEdgeError, match="takes batch 1"):
        b.run_throughput(random_batch(2), RunLength(requests=1))
    with pytest.raises(CleftEdgeError, match="float32"):
        b.profile_layers(random_batch(1).astype(np.float64))
    run = b.run_throughput(random_batch(1), RunLength(requests=7))
    assert run.requests == 7 and len(run.wall_ms) == 7 and run.fps > 0
    b.close()
    with pytest.raises(CleftEdgeError, match="closed"):
        b.run_throughput(random_batch(1), RunLength(requests=1))


def test_onnxruntime_trace_leaves_out_the_warmup_runs():
    def run(ts):
        return {"cat": "Session", "name": "model_run", "ts": ts, "dur": 10}

    def node(ts, name, dur):
        return {"cat": "Node", "name": f"{name}_kernel_time", "ts": ts, "dur": dur, "args": {"op_name": "Conv"}}

    events = [run(0), node(1, "a", 500), run(20), node(21, "a", 3), node(22, "b", 1),
              {"cat": "Node", "name": "a_fence_before", "ts": 23, "dur": 99}]
    assert node_times(events, skip_runs=1) == {("a", "Conv"): 0.003, ("b", "Conv"): 0.001}
    assert math.isclose(node_times(events)[("a", "Conv")], 0.503)


@pytest.mark.parametrize("text,name", [("frames:4x1x128x160", "frames"), ("4x1x128x160", None),
                                       ("frames[4,1,128,160]", "frames"), ("[4, 1, 128, 160]", None)])
def test_shapes_take_trtexec_and_benchmark_app_forms(text, name):
    from cleftedge.runtime.bench_plan import Shape, parse_shape

    assert parse_shape(text) == Shape(name, (4, 1, 128, 160))
    with pytest.raises(CleftEdgeError, match="4 positive dimensions"):
        parse_shape(text.replace("4", "0", 1))


def test_a_layer_below_the_profilers_resolution_is_kept_so_the_layer_count_is_stable():
    from cleftedge.errors import CleftEdgeError
    from cleftedge.runtime.backends.perf import layer_profile

    profile = layer_profile("test", 5, {("conv", "Conv"): 2.0, ("relu", "Relu"): 0.0}, "openvino")
    assert [r["name"] for r in profile.rows()] == ["conv", "relu"]
    assert [r["share"] for r in profile.rows()] == [100.0, 0.0]
    with pytest.raises(CleftEdgeError, match="no layer time"):
        layer_profile("test", 5, {("relu", "Relu"): 0.0}, "openvino")
