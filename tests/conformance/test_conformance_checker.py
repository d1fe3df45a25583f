"""The conformance checker itself: it must fail on a misspelt name, on a name a supported version
lacks without a table entry, on a read-only property set, on a keyword the binding does not take,
on a method whose result it cannot type; and it must follow the ways the project reaches TensorRT."""

import textwrap

from api_usage import uses_in_source
from conformance_check import fits, problems
from conformance_libraries import TENSORRT
from surfaces_helpers import ROOT, table_expects, tensorrt_surfaces


def check(source: str) -> list[str]:
    return problems(uses_in_source(textwrap.dedent(source), TENSORRT), tensorrt_surfaces(), table_expects)


def test_a_deliberately_misspelt_name_in_the_real_builder_fails():
    source = (ROOT / "cleftedge/export/builders/tensorrt.py").read_text()
    assert check(source) == []
    broken = source.replace("config.set_memory_pool_limit(", "config.set_memory_pool_limt(", 1)
    assert broken != source
    found = check(broken)
    assert len(found) == 1 and "trt.IBuilderConfig.set_memory_pool_limt is not in TensorRT 10.3, 10.7, 10.16, 11.1, " \
        "11.4" in found[0], found
    misspelt_enum = source.replace("trt.MemoryPoolType.WORKSPACE", "trt.MemoryPoolType.WORK_SPACE", 1)
    assert any("MemoryPoolType.WORK_SPACE is not in TensorRT" in p for p in check(misspelt_enum))


def test_a_misspelt_name_in_the_real_runtime_fails():
    source = (ROOT / "cleftedge/runtime/backends/tensorrt_backend.py").read_text()
    assert check(source) == []
    broken = source.replace("execute_async_v3(", "execute_async_v2(", 1)
    assert any("IExecutionContext.execute_async_v2 is not in TensorRT" in p for p in check(broken))


def test_a_name_that_11x_removed_fails_without_a_table_entry():
    found = check("""
        import tensorrt as trt
        def build(builder):
            config = builder.create_builder_config()
            config.set_flag(trt.BuilderFlag.OBEY_PRECISION_CONSTRAINTS)
            config.int8_calibrator = None
    """)
    assert any("BuilderFlag.OBEY_PRECISION_CONSTRAINTS is not in TensorRT 11.1, 11.4; use a name every supported "
               "version has, or guard it by version and add it to VERSIONED_NAMES" in p for p in found), found
    assert any("IBuilderConfig.int8_calibrator is not in TensorRT 11.1, 11.4" in p for p in found), found


def test_a_name_in_the_table_passes_and_a_wrong_table_fails():
    source = """
        import tensorrt as trt
        def flags(config):
            config.set_flag(trt.BuilderFlag.INT8)
            config.hardware_compatibility_level = trt.HardwareCompatibilityLevel.SAME_COMPUTE_CAPABILITY
    """
    assert check(source) == []
    uses = uses_in_source(textwrap.dedent(source), TENSORRT)

    def wrong(name, version):  # a table that claims SAME_COMPUTE_CAPABILITY from 10.3
        return True if name.endswith("SAME_COMPUTE_CAPABILITY") else table_expects(name, version)

    found = problems(uses, tensorrt_surfaces(), wrong)
    assert any("SAME_COMPUTE_CAPABILITY: VERSIONED_NAMES says 10.3 has it, 10.7 has it" in p for p in found), found


def test_setting_a_read_only_property_and_a_wrong_keyword_fail():
    found = check("""
        import tensorrt as trt
        def load(runtime, data, config, cache):
            engine = runtime.deserialize_cuda_engine(data)
            engine.num_io_tensors = 3
            config.set_timing_cache(cache, ignore_missmatch=False)
            config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE)
            engine.num_io_tensors()
    """)
    assert any("ICudaEngine.num_io_tensors is readonly, not a settable property" in p for p in found), found
    assert any("IBuilderConfig.set_timing_cache called with 1 positional, ignore_missmatch=" in p for p in found), found
    assert any("set_memory_pool_limit called with 1 positional; the binding takes (pool, pool_size)" in p
               for p in found), found
    assert any("ICudaEngine.num_io_tensors is a readonly, not something to call" in p for p in found), found


def test_a_call_whose_result_the_checker_cannot_type_is_reported():
    found = check("""
        import tensorrt as trt
        def layers(network):
            layer = network.get_layer(0)
            return layer.nmae
    """)
    assert any("INetworkDefinition.get_layer() result .nmae: the checker does not know what that call returns" in p
               for p in found), found


def test_the_module_is_followed_through_require_parameters_and_helpers():
    found = check("""
        from cleftedge.lazy import require

        def _import():
            import tensorrt as trt
            return trt

        class B:
            def load(self):
                self._trt = require("tensorrt", "tensorrt")
                self.runtime = self._trt.Runtime(self._trt.Logger(self._trt.Logger.WARNNG))
                self.engine = self._open()
            def _open(self):
                return self.runtime.deserialize_cuda_engine(b"")
            def run(self):
                return self.engine.num_io_tensor

        def helper(trt, builder):
            return builder.create_netwrok(0), trt.Bulider

        def other():
            t = _import()
            return t.volme
    """)
    for name in ("Logger.WARNNG", "ICudaEngine.num_io_tensor", "Builder.create_netwrok", "trt.Bulider", "trt.volme"):
        assert any(name in p and "is not in TensorRT" in p for p in found), (name, found)


def test_a_file_without_tensorrt_is_not_read_as_tensorrt():
    assert check("""
        def f(builder, engine):
            return builder.whatever, engine.anything
    """) == []


def test_signature_fit():
    assert fits(["cache", "ignore_mismatch"], 1, ("ignore_mismatch",))
    assert fits(["flags?"], 0, ()) and fits(["flags?"], 1, ())
    assert not fits(["flags?"], 2, ())
    assert not fits(["input", "min", "opt", "max"], 2, ())
    assert not fits(["name"], 1, ("name",))  # given twice
    assert fits(["a"], -1, ())  # *args: not checked
