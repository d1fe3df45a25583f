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


class _OnnxEngines:
    """The engines and execution contexts a FakeTensorRT made, keyed by the fake objects' ids."""

    def __init__(self, fake, max_batch: int, ort) -> None:
        self.fake, self.max_batch, self.ort = fake, max_batch, ort
        self.engines: dict[int, dict] = {}
        self.contexts: dict[int, dict] = {}

    def deserialize(self, runtime, data):
        data = bytes(data)
        if not data.startswith(b"\x08"):  # not an ONNX ModelProto: TensorRT returns None for a bad plan
            return None
        self.fake.deserialized.append((data, runtime.DLA_core))
        session = self.ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        tensors = [(t.name, "INPUT", t) for t in session.get_inputs()] + [(t.name, "OUTPUT", t)
                                                                         for t in session.get_outputs()]
        engine = self.fake.make("ICudaEngine", num_io_tensors=len(tensors), num_optimization_profiles=1)
        self.engines[id(engine)] = {"session": session, "tensors": tensors}
        return engine

    def tensor_name(self, engine, index: int) -> str:
        return self.engines[id(engine)]["tensors"][index][0]

    def _info(self, engine, name):
        return next(t for n, _, t in self.engines[id(engine)]["tensors"] if n == name)

    def shape(self, engine, name) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else -1 for d in self._info(engine, name).shape)

    def profile_shape(self, engine, name, index):
        dims = self.shape(engine, name)[1:]
        return (1, *dims), (1, *dims), (self.max_batch, *dims)

    def mode(self, engine, name):
        kind = next(m for n, m, _ in self.engines[id(engine)]["tensors"] if n == name)
        return getattr(self.fake.TensorIOMode, kind)

    def create_context(self, engine):
        context = self.fake.make("IExecutionContext")
        self.contexts[id(context)] = {"engine": engine, "addresses": {}, "shapes": {}}
        return context

    def set_address(self, context, name, ptr) -> bool:
        self.contexts[id(context)]["addresses"][name] = int(ptr)
        return True

    def set_input_shape(self, context, name, dims) -> bool:
        self.contexts[id(context)]["shapes"][name] = tuple(dims)
        return True

    def execute(self, context, stream_handle) -> bool:
        state = self.contexts[id(context)]
        engine = self.engines[id(state["engine"])]
        feeds = {n: host_array(state["addresses"][n], state["shapes"][n]).copy()
                 for n, m, _ in engine["tensors"] if m == "INPUT"}
        outputs = engine["session"].run(None, feeds)
        names = [n for n, m, _ in engine["tensors"] if m == "OUTPUT"]
        for name, value in zip(names, outputs, strict=True):
            state["shapes"][name] = value.shape
            host_array(state["addresses"][name], value.shape)[...] = value
        return True

    def context_shape(self, context, name):
        return self.contexts[id(context)]["shapes"][name]


def onnx_engine_behaviour(fake, max_batch: int = 4, inspector_json: str = "") -> dict[str, Any]:
    """Behaviours for `fake` (a FakeTensorRT); `fake.deserialized` collects (plan bytes, Runtime.DLA_core
    at that moment) for each engine loaded."""
    import onnxruntime as ort

    fake.deserialized = []
    e = _OnnxEngines(fake, max_batch, ort)
    return {
        "Runtime.deserialize_cuda_engine": e.deserialize,
        "ICudaEngine.get_tensor_name": e.tensor_name,
        "ICudaEngine.get_tensor_mode": e.mode,
        "ICudaEngine.get_tensor_dtype": lambda engine, name: fake.DataType.FLOAT,
        "ICudaEngine.get_tensor_shape": e.shape,
        "ICudaEngine.get_tensor_profile_shape": e.profile_shape,
        "ICudaEngine.create_execution_context": e.create_context,
        "EngineInspector.get_engine_information": lambda inspector, fmt: inspector_json,
        "IExecutionContext.set_tensor_address": e.set_address,
        "IExecutionContext.set_input_shape": e.set_input_shape,
        "IExecutionContext.execute_async_v3": e.execute,
        "IExecutionContext.get_tensor_shape": e.context_shape,
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
