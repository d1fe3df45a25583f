"""The libraries whose names the conformance tests check, and how the checker types their objects:
role names of parameters and attributes, and what the methods that give objects return (only those
whose result the code uses further need an entry; a missing one is reported, never guessed)."""

from pathlib import Path

from api_usage import PY, Library
from surface_lookup import load

SURFACES = Path(__file__).resolve().parent / "surfaces"

TENSORRT = Library(
    name="tensorrt",
    imports={"tensorrt": "tensorrt"},
    roles={"builder": "Builder", "network": "INetworkDefinition", "config": "IBuilderConfig", "parser": "OnnxParser",
           "runtime": "Runtime", "engine": "ICudaEngine", "context": "IExecutionContext",
           "inspector": "EngineInspector"},
    returns={
        ("Builder", "create_network"): "INetworkDefinition",
        ("Builder", "create_builder_config"): "IBuilderConfig",
        ("Builder", "create_optimization_profile"): "IOptimizationProfile",
        ("Builder", "build_serialized_network"): "IHostMemory",
        ("INetworkDefinition", "get_input"): "ITensor",
        ("INetworkDefinition", "get_output"): "ITensor",
        ("OnnxParser", "get_error"): "ParserError",
        ("IBuilderConfig", "create_timing_cache"): "ITimingCache",
        ("IBuilderConfig", "get_timing_cache"): "ITimingCache",
        ("ITimingCache", "serialize"): "IHostMemory",
        ("Runtime", "deserialize_cuda_engine"): "ICudaEngine",
        ("ICudaEngine", "create_execution_context"): "IExecutionContext",
        ("ICudaEngine", "create_engine_inspector"): "EngineInspector",
        ("ICudaEngine", "get_tensor_dtype"): "enum:DataType",
        ("ICudaEngine", "get_tensor_mode"): "enum:TensorIOMode",
        ("ICudaEngine", "get_tensor_name"): PY,
        ("ICudaEngine", "get_tensor_shape"): PY,
        ("ICudaEngine", "get_tensor_profile_shape"): PY,
        ("IExecutionContext", "get_tensor_shape"): PY,
        ("EngineInspector", "get_engine_information"): PY,
    },
    module_params=("trt",),
    module_functions=("import_tensorrt",),  # cleftedge.runtime.backends.tensorrt_plan
    nested=frozenset({"Severity"}),
)

def _classes(*surfaces: str) -> frozenset[str]:
    return frozenset(c for name in surfaces for c in load(SURFACES / f"{name}.json")["classes"])


CUDA_PYTHON = Library(name="cuda-python", imports={"cuda.bindings.runtime": "cuda.bindings.runtime"},
                      classes=_classes("cuda-python-12.6", "cuda-python-13.0"))

PYCUDA = Library(
    name="pycuda",
    imports={"pycuda.driver": "pycuda.driver", "pycuda": "pycuda"},
    roles={"stream": "Stream"},
    returns={
        ("pycuda.driver", "mem_alloc"): "DeviceAllocation",
        ("pycuda.driver", "pagelocked_empty"): PY,
        ("Device", "retain_primary_context"): "Context",
        ("Device", "compute_capability"): PY,
        ("Device", "name"): PY,
    },
)
