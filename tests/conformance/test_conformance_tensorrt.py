"""Every TensorRT name the project uses exists in every checked TensorRT version (10.3, 10.7, 10.16,
11.1 from NVIDIA's binding sources; 11.4 from its wheel), or is in tensorrt_settings.VERSIONED_NAMES,
which must agree with the binding sources. A misspelt or removed name fails here, not on a cart."""

import json

from conformance_check import problems
from conformance_libraries import TENSORRT
from surface_lookup import has_dotted
from surfaces_helpers import SURFACES, project_uses, table_expects, tensorrt_surfaces

from cleftedge.export.builders.tensorrt_settings import CHECKED_VERSIONS, VERSIONED_NAMES, has_name, parse_version


def test_every_tensorrt_name_the_project_uses_is_in_every_checked_version():
    uses = project_uses(TENSORRT)
    found = problems(uses, tensorrt_surfaces(), table_expects)
    assert found == [], "\n".join(found)


def test_the_checker_sees_the_calls_that_matter():
    # a walker that found nothing would pass the test above: it must see the builder's and runtime's calls
    seen = {(u.dotted, u.kind) for u in project_uses(TENSORRT)}
    expected = [("IBuilderConfig.set_memory_pool_limit", "call"), ("IBuilderConfig.profiling_verbosity", "store"),
                       ("IBuilderConfig.DLA_core", "store"), ("BuilderFlag.INT8", "load"),
                       ("HardwareCompatibilityLevel.SAME_COMPUTE_CAPABILITY", "load"),
                       ("IBuilderConfig.create_timing_cache", "call"), ("ITimingCache.serialize", "call"),
                       ("Runtime.DLA_core", "store"), ("Runtime.deserialize_cuda_engine", "call"),
                       ("ICudaEngine.get_tensor_profile_shape", "call"), ("IExecutionContext.execute_async_v3", "call"),
                       ("EngineInspector.get_engine_information", "call"), ("ProfilingVerbosity.DETAILED", "load"),
                       ("Logger.WARNING", "load"), ("OnnxParser.__init__", "call"), ("ITensor.name", "load")]
    for name, kind in expected:
        assert (name, kind) in seen, f"the checker did not see trt {name} ({kind})"
    assert len(seen) >= 60


def test_the_version_table_matches_the_binding_sources_of_every_checked_version():
    surfaces = tensorrt_surfaces()
    for name in VERSIONED_NAMES:
        for version, surface in surfaces.items():
            assert has_dotted(surface, name) == has_name(name, parse_version(version)), (name, version)
        # a name every checked version binds, or none does, does not belong in the table
        assert len({has_dotted(s, name) for s in surfaces.values()}) == 2, name


def test_the_version_table_matches_every_release_branch():
    # the table's first/last versions (10.9, 11.0) fall between the checked versions: checked here
    history = json.loads((SURFACES / "tensorrt-versioned-names.json").read_text())
    releases = [r.removeprefix("release/") for r in history["source"]["commits"]]
    assert "10.9" in releases and "11.0" in releases and set(history["present_in"]) == set(VERSIONED_NAMES)
    for name, present in history["present_in"].items():
        for release in releases:
            assert has_name(name, parse_version(release)) == (release in present), (name, release)


def test_the_surfaces_say_where_they_come_from():
    for version, surface in tensorrt_surfaces().items():
        assert surface["version"] == version and surface["library"] == "tensorrt"
        source = surface["source"]
        if source["kind"] == "binding sources":
            assert source["ref"] == f"release/{version}" and len(source["commit"]) == 40
            assert surface["cross_check"]["names_not_in_wheel"] == []  # every source name is in the wheel
        else:  # 11.4: no public sources
            assert version == "11.4" and "not published" in source["limits"] and len(source["sha256"]) == 64
    assert CHECKED_VERSIONS == ("10.3", "10.7", "10.16", "11.1", "11.4")
