"""Behaviour for FakeTensorRT that makes a "plan" out of an ONNX model: the builder's
build_serialized_network returns the ONNX bytes, Runtime.deserialize_cuda_engine reads them back,
and the execution context runs them with onnxruntime on the memory at the addresses the backend
bound (HostCudaLayer memory). So the TensorRT backend's buffers, shapes, copies and outputs can be
checked against onnxruntime itself on machines without TensorRT or a GPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from host_cuda import host_array

ORT_TYPES = {"tensor(float)": ("FLOAT", np.float32)}


def onnx_engine_behaviour(fake, max_batch: int = 4, inspector_json: str = "") -> dict[str, Any]:
    """Behaviours for `fake` (a FakeTensorRT); `fake.deserialized` collects (plan bytes, Runtime.DLA_core
    at that moment) for each engine loaded."""
    import onnxruntime as ort

    fake.deserialized = []
    engines: dict[int, dict] = {}
    contexts: dict[int, dict] = {}

    def deserialize(runtime, data):
        data = bytes(data)
        if not data.startswith(b"\x08"):  # not an ONNX ModelProto: TensorRT returns None for a bad plan
            return None
        fake.deserialized.append((data, runtime.DLA_core))
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        tensors = [(t.name, "INPUT", t) for t in session.get_inputs()] + [(t.name, "OUTPUT", t)
                                                                         for t in session.get_outputs()]
        engine = fake.make("ICudaEngine", num_io_tensors=len(tensors), num_optimization_profiles=1)
        engines[id(engine)] = {"session": session, "tensors": tensors}
        return engine

    def info(engine, name):
        return next(t for n, _, t in engines[id(engine)]["tensors"] if n == name)

    def shape(engine, name):
        return tuple(d if isinstance(d, int) else -1 for d in info(engine, name).shape)

    def profile_shape(engine, name, index):
        dims = shape(engine, name)[1:]
        return (1, *dims), (1, *dims), (max_batch, *dims)

    def mode(engine, name):
        kind = next(m for n, m, _ in engines[id(engine)]["tensors"] if n == name)
        return getattr(fake.TensorIOMode, kind)

    def create_context(engine):
        context = fake.make("IExecutionContext")
        contexts[id(context)] = {"engine": engine, "addresses": {}, "shapes": {}}
        return context

    def set_address(context, name, ptr):
        contexts[id(context)]["addresses"][name] = int(ptr)
        return True

    def set_input_shape(context, name, dims):
        contexts[id(context)]["shapes"][name] = tuple(dims)
        return True

    def execute(context, stream_handle):
        state = contexts[id(context)]
        engine = engines[id(state["engine"])]
        feeds = {n: host_array(state["addresses"][n], state["shapes"][n]).copy()
                 for n, m, _ in engine["tensors"] if m == "INPUT"}
        outputs = engine["session"].run(None, feeds)
        names = [n for n, m, _ in engine["tensors"] if m == "OUTPUT"]
        for name, value in zip(names, outputs, strict=True):
            state["shapes"][name] = value.shape
            host_array(state["addresses"][name], value.shape)[...] = value
        return True

    def context_shape(context, name):
        return contexts[id(context)]["shapes"][name]

    return {
        "Runtime.deserialize_cuda_engine": deserialize,
        "ICudaEngine.get_tensor_name": lambda e, i: engines[id(e)]["tensors"][i][0],
        "ICudaEngine.get_tensor_mode": mode,
        "ICudaEngine.get_tensor_dtype": lambda e, n: fake.DataType.FLOAT,
        "ICudaEngine.get_tensor_shape": shape,
        "ICudaEngine.get_tensor_profile_shape": profile_shape,
        "ICudaEngine.create_execution_context": create_context,
        "EngineInspector.get_engine_information": lambda i, fmt: inspector_json,
        "IExecutionContext.set_tensor_address": set_address,
        "IExecutionContext.set_input_shape": set_input_shape,
        "IExecutionContext.execute_async_v3": execute,
        "IExecutionContext.get_tensor_shape": context_shape,
    }


def builder_behaviour(fake, onnx_path: Path, input_name: str) -> dict[str, Any]:
    """Behaviours for a build that succeeds: the parser accepts the model, the network has its one
    input, the plan is the ONNX itself, the timing cache serializes to a few bytes."""
    return {
        "OnnxParser.parse_from_file": True,
        "OnnxParser.num_errors": 0,
        "INetworkDefinition.num_inputs": 1,
        "INetworkDefinition.get_input": lambda network, i: fake.make("ITensor", name=input_name),
        "IBuilderConfig.set_timing_cache": True,
        "IBuilderConfig.add_optimization_profile": 0,
        "IOptimizationProfile.set_shape": None,
        "ITimingCache.serialize": lambda cache: b"TIMING-CACHE",
        "Builder.build_serialized_network": lambda builder, network, config: Path(onnx_path).read_bytes(),
    }
