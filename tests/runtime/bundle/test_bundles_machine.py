"""What a cart reports about itself, parsed from the texts Jetsons print (as data)."""

import pytest

from cleftedge.runtime.bundle import machine


@pytest.mark.parametrize("text,expected", [
    ("# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan 8", "36.4.3"),
    ("# R39 (release), REVISION: 2.2, GCID: 1, BOARD: generic", "39.2.2"),
    ("not a release file", None),
])
def test_l4t_release(text, expected):
    assert machine.parse_l4t(text) == expected


@pytest.mark.parametrize("text,expected", [("6.2.1+b38", "6.2.1"), ("7.2.2-b10", "7.2.2"), ("", None),
                                           (None, None)])
def test_jetpack_version(text, expected):
    assert machine.parse_jetpack(text) == expected


def test_power_mode_and_soc():
    assert machine.parse_power_mode("NV Power Mode: MAXN\n0\n") == "MAXN"
    assert machine.parse_power_mode("NV Power Mode: 15W\n1") == "15W"
    assert machine.parse_power_mode(None) is None
    assert machine.soc_compute_capability(b"nvidia,p3768-0000+p3767-0005\0nvidia,p3767-0005\0nvidia,tegra234\0") \
        == "8.7"
    assert machine.soc_compute_capability(b"nvidia,tegra264\0") == "11.0"
    assert machine.soc_compute_capability(b"raspberrypi,4-model-b\0") is None


def test_this_machine_reports_openvino_and_its_cpu():
    # the intel-cpu profile runs here: OpenVINO is installed and has a CPU device
    assert machine.toolkit_versions()["openvino"] and "CPU" in machine.openvino_devices()
    assert "power_mode" not in machine.jetson_info()  # not a Jetson


@pytest.mark.parametrize("device,available,expected", [
    ("CPU", ["CPU"], True), ("GPU", ["CPU", "GPU.0", "GPU.1"], True), ("GPU.1", ["CPU", "GPU.0", "GPU.1"], True),
    ("GPU.0", ["CPU", "GPU"], True), ("NPU", ["CPU", "GPU"], False), ("GPU", ["CPU"], False), ("AUTO", ["CPU"], True),
])
def test_openvino_device_present(device, available, expected):
    assert machine.has_openvino_device(device, available) is expected
