"""What this machine has, for matching a bundle: TensorRT and GPU (Jetson: L4T, power mode),
OpenVINO and its devices, onnxruntime. Every probe is optional and never raises."""

from __future__ import annotations

import platform
import re
import subprocess
from pathlib import Path

from cleftedge.targets import TARGETS

# SoC -> CUDA compute capability, for Jetsons where neither nvidia-smi nor cuda-python answers
SOC_COMPUTE_CAPABILITY = {"tegra234": "8.7", "tegra264": "11.0"}  # Orin; Thor (sm_110 on CUDA 13)


def jetson_info() -> dict[str, str]:
    """L4T release, JetPack version, power mode and compute capability; only what this machine tells."""
    found = {
        "l4t": l4t_release(),
        "jetpack": parse_jetpack(_run(["dpkg-query", "--showformat=${Version}", "--show", "nvidia-jetpack"])),
        "power_mode": parse_power_mode(_run(["nvpmodel", "-q"])),
        "compute_capability": gpu_compute_capability(),
    }
    return {k: v for k, v in found.items() if v}


def l4t_release() -> str | None:
    """This Jetson's L4T release ("36.4.3"), None elsewhere."""
    release = Path("/etc/nv_tegra_release")
    try:
        return parse_l4t(release.read_text(errors="replace")) if release.is_file() else None
    except OSError:
        return None


def parse_l4t(text: str) -> str | None:
    """/etc/nv_tegra_release "# R36 (release), REVISION: 4.3, ..." -> "36.4.3"."""
    m = re.search(r"R(\d+)\b.*?REVISION:\s*(\d+(?:\.\d+)*)", text or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


def parse_jetpack(version: str | None) -> str | None:
    """The nvidia-jetpack package version "6.2.1+b38" -> "6.2.1"."""
    m = re.match(r"(\d+(?:\.\d+)+)", version or "")
    return m.group(1) if m else None


def parse_power_mode(text: str | None) -> str | None:
    """`nvpmodel -q` output "NV Power Mode: MAXN\\n0" -> "MAXN"."""
    m = re.search(r"NV Power Mode:\s*(\S+)", text or "")
    return m.group(1) if m else None


def _run(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def soc_compute_capability(compatible: bytes) -> str | None:
    """From /proc/device-tree/compatible (NUL-separated, e.g. b"nvidia,p3737-0000\\0nvidia,tegra234\\0")."""
    for entry in compatible.decode(errors="replace").split("\0"):
        cc = SOC_COMPUTE_CAPABILITY.get(entry.split(",")[-1].strip())
        if cc:
            return cc
    return None


def gpu_compute_capability() -> str | None:
    """This machine's GPU compute capability ("8.7"): nvidia-smi, else cuda-python, else the Jetson
    device tree; None without a GPU."""
    out = _run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"])
    if out and re.match(r"^\d+\.\d+", out):
        return out.splitlines()[0].strip()
    try:  # Jetson: no nvidia-smi on older JetPacks; cuda-python may be there
        from cuda.bindings import runtime as cudart

        err, major = cudart.cudaDeviceGetAttribute(cudart.cudaDeviceAttr.cudaDevAttrComputeCapabilityMajor, 0)
        err2, minor = cudart.cudaDeviceGetAttribute(cudart.cudaDeviceAttr.cudaDevAttrComputeCapabilityMinor, 0)
        if int(err) == 0 and int(err2) == 0:
            return f"{major}.{minor}"
    except Exception:  # no CUDA here: nothing to report
        pass
    tree = Path("/proc/device-tree/compatible")
    try:
        return soc_compute_capability(tree.read_bytes()) if tree.is_file() else None
    except OSError:
        return None


def toolkit_versions() -> dict[str, str]:
    """Target name -> the version of its runtime package installed here (absent when it is not)."""
    versions: dict[str, str] = {}
    for name, target in TARGETS.items():
        try:
            module = __import__(target.module)
            versions[name] = str(getattr(module, "__version__", "") or module.get_version())
        except Exception:  # not installed: not a problem unless the bundle needs it
            continue
    return versions


def openvino_devices() -> list[str]:
    """The devices OpenVINO sees here ("CPU", "GPU", "NPU"); empty without OpenVINO."""
    try:
        import openvino as ov

        return list(ov.Core().available_devices)
    except Exception:
        return []


def has_openvino_device(device: str, available: list[str]) -> bool:
    """Whether `device` ("GPU", "GPU.1", "AUTO") is among OpenVINO's available devices ("CPU", "GPU.0", ...)."""
    if device.split(":")[0] in ("AUTO", "MULTI", "HETERO"):
        return True
    if "." in device:
        return device in available or (device.endswith(".0") and device.split(".")[0] in available)
    return any(d.split(".")[0] == device for d in available)


def build_platform() -> dict[str, str]:
    """The platform an engine is built on (a TensorRT plan runs only on the same): CPU architecture,
    OS, and on a Jetson its L4T release."""
    found = {"machine": platform.machine().lower(), "system": platform.system().lower()}
    l4t = l4t_release()
    if l4t:
        found["l4t"] = l4t
    return found
