"""The TensorRT backend's calls, run on this machine: a fake TensorRT that binds only one version's
names (tests/conformance/fake_tensorrt.py) runs the "plan" (an ONNX model) with onnxruntime on the
memory the backend bound, through a CUDA layer on host memory. Checks the scores against
onnxruntime, the DLA core set before deserializing, the inspector's precision, and that close (or a
failed load) gives everything back. On a GPU: `pytest -m gpu` (real CUDA) and `-m tensorrt` (real TensorRT)."""

import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from backends_helpers import make_onnx, make_spec, random_batch
from fake_tensorrt import FakeTensorRT
from host_cuda import HostCudaLayer
from onnx_engine import onnx_engine_behaviour

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.backends import open_backend
from cleftedge.runtime.backends import tensorrt_backend as backend_module

DATA = Path(__file__).parent / "data"
INSPECTOR = {"10.3": "inspector-10x-detailed.json", "11.1": "inspector-11x-detailed.json"}


@pytest.fixture
def fake_gpu(monkeypatch):
    """Install a fake TensorRT of a version and a host CUDA layer; returns (trt, layers made)."""
    made: list[HostCudaLayer] = []

    def install(version: str, **behaviour):
        trt = FakeTensorRT(version)
        text = (DATA / INSPECTOR.get(version, "inspector-11x-detailed.json")).read_text()
        trt.behaviour.update({**onnx_engine_behaviour(trt, max_batch=4, inspector_json=text), **behaviour})
        monkeypatch.setitem(sys.modules, "tensorrt", trt)
        monkeypatch.setattr(backend_module, "open_cuda", lambda name, index: made.append(HostCudaLayer(index))
                            or made[-1])
        return trt, made

    return install


@pytest.fixture
def plan(tmp_path):
    spec = make_spec()
    onnx_path = make_onnx(tmp_path / "tiny.onnx", spec)
    plan = tmp_path / "tiny.plan"
    plan.write_bytes(onnx_path.read_bytes())  # the fake's "plan" is the ONNX it runs
    return plan, onnx_path, spec


@pytest.mark.parametrize("version", ["10.3", "11.1"])
def test_scores_match_onnxruntime_from_another_thread(fake_gpu, plan, version):
    trt, layers = fake_gpu(version)
    plan_path, onnx_path, spec = plan
    x = random_batch(6)  # more than the profile's 4: run in chunks
    with open_backend(onnx_path) as ref, open_backend(plan_path, spec=spec, device="GPU") as b:
        want = ref.infer(x)["logits"]
        got = {}
        worker = threading.Thread(target=lambda: got.update(b.infer(x)))
        worker.start()
        worker.join()
        d = b.describe()
    np.testing.assert_allclose(got["logits"], want, rtol=1e-5, atol=1e-5)
    assert d["profile_batch"] == {"min": 1, "opt": 1, "max": 4} and d["io_dtypes"] == {"image": "float32",
                                                                                        "logits": "float32"}
    assert d["precision"] == "int8" and d["layer_precisions"]["int8"] == 2
    pushes = {t for call, t in layers[0].log if call == "push"}
    assert threading.get_ident() in pushes and len(pushes) == 2  # the context was pushed in the worker thread too


def test_close_destroys_the_stream_and_frees_everything(fake_gpu, plan):
    trt, layers = fake_gpu("10.3")
    plan_path, _, spec = plan
    b = open_backend(plan_path, spec=spec, device="GPU")
    b.infer(random_batch(2))
    layer = layers[0]
    assert layer.live and layer.streams
    b.close()
    calls = [c for c, _ in layer.log]
    assert not layer.live and not layer.streams  # every buffer freed, the stream destroyed
    assert calls.index("synchronize", calls.index("dtoh")) < calls.index("destroy_stream") < calls.index("close")


def test_a_dla_plan_is_deserialized_on_its_dla_core(fake_gpu, plan):
    trt, _ = fake_gpu("10.3")
    plan_path, _, spec = plan
    with open_backend(plan_path, spec=spec, device="GPU", dla_core=1) as b:
        assert "DLA core 1" in b.describe()["device"]
    logged = trt.names_logged()
    assert logged.index("Runtime.DLA_core=") < logged.index("Runtime.deserialize_cuda_engine")
    assert [core for _, core in trt.deserialized] == [1]
    with open_backend(plan_path, spec=spec, device="GPU"):
        pass
    assert [core for _, core in trt.deserialized] == [1, None]  # a GPU plan leaves the runtime's DLA core alone


def test_a_plan_tensorrt_refuses_is_one_line_and_leaves_nothing_behind(fake_gpu, tmp_path):
    trt, layers = fake_gpu("11.1")
    bad = tmp_path / "bad.plan"
    bad.write_bytes(b"not a plan" * 10)
    with pytest.raises(CleftEdgeError, match="could not load bad.plan.*rebuild the plan on this device") as err:
        open_backend(bad, spec=make_spec(), device="GPU")
    assert "\n" not in str(err.value)
    assert [c for c, _ in layers[0].log][-1] == "close" and not layers[0].live


def test_an_engine_without_detailed_verbosity_reports_unknown_precision(fake_gpu, plan):
    names_only = (DATA / "inspector-names-only.json").read_text()
    fake_gpu("10.3", **{"EngineInspector.get_engine_information": lambda inspector, fmt: names_only})
    plan_path, _, spec = plan
    with open_backend(plan_path, spec=spec, device="GPU") as b:
        assert b.describe()["precision"] == "unknown"


def test_profile_layers_sums_what_tensorrts_iprofiler_reports(fake_gpu, plan):
    # The fake's execute reports each layer of the inspector's JSON to the profiler set on the context,
    # as TensorRT does (enqueue_emits_profile): run i reports layer k as (k + 1) ms.
    trt, _ = fake_gpu("11.1")
    layers = [r["Name"] for r in json.loads((DATA / INSPECTOR["11.1"]).read_text())["Layers"]]
    execute = trt.behaviour["IExecutionContext.execute_async_v3"]
    profiled = []

    def execute_and_report(context, stream):
        ok = execute(context, stream)
        if context.profiler is not None:
            profiled.append(context)
            for k, name in enumerate(layers):
                context.profiler.report_layer_time(name, float(k + 1))
        return ok

    trt.behaviour["IExecutionContext.execute_async_v3"] = execute_and_report
    plan_path, onnx_path, spec = plan
    with open_backend(plan_path, spec=spec, device="GPU") as b:
        profile = b.profile_layers(random_batch(2), runs=4)
        assert b.context.profiler is None  # the profiler went on a second context: timed runs stay as they were
        with open_backend(onnx_path) as ref:  # that context ran on the backend's own bound buffers
            np.testing.assert_allclose(b.infer(random_batch(2))["logits"], ref.infer(random_batch(2))["logits"],
                                       rtol=1e-5, atol=1e-5)
    assert len(profiled) == 3 + 4 and len({id(c) for c in profiled}) == 1  # 3 warm-up runs, not counted
    rows = profile.rows()
    assert [r["name"] for r in rows] == layers[::-1] and rows[0]["ms_per_run"] == len(layers)
    assert rows[0]["type"] != "?" and sum(r["share"] for r in rows) == pytest.approx(100.0)


def test_the_io_check_runs_once_per_open_and_still_refuses_a_plan_the_spec_does_not_fit(fake_gpu, plan, monkeypatch):
    from cleftedge.runtime.backends import base

    checked = []
    real = base.check_io

    def counting(spec, inputs, outputs, source):
        checked.append(source)
        return real(spec, inputs, outputs, source)

    monkeypatch.setattr(base, "check_io", counting)
    monkeypatch.setattr(backend_module, "check_io", counting)
    _, layers = fake_gpu("10.3")
    plan_path, onnx_path, spec = plan
    with open_backend(onnx_path), open_backend(plan_path, spec=spec, device="GPU"):
        pass
    assert checked == ["tiny.onnx", "tiny.plan"]  # once each, the plan's before its buffers are allocated
    with pytest.raises(CleftEdgeError, match="no input 'img'"):
        open_backend(plan_path, spec=make_spec(input_name="img"), device="GPU")
    assert checked[2:] == ["tiny.plan"]
