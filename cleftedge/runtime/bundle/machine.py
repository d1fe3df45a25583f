"""What this machine has, for matching a bundle: TensorRT and GPU (Jetson: L4T, power mode),
OpenVINO and its devices, onnxruntime. Every probe is optional and never raises."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def jetson_info() -> dict[str, str]:
    info: dict[str, str] = {}
    release = Path("/etc/nv_tegra_release")
    if release.is_file():  # "# R36 (release), REVISION: 4.0, ..."
        m = re.search(r"R(\d+).*REVISION:\s*([\d.]+)", release.read_text(errors="replace"))
        if m:
            info["l4t"] = f"{m.group(1)}.{m.group(2).split('.')[0]}"
    try:
        out = subprocess.run(["nvpmodel", "-q"], capture_output=True, text=True, timeout=5).stdout
        m = re.search(r"NV Power Mode:\s*(\S+)", out)
        if m:
            info["power_mode"] = m.group(1)
    except (OSError, subprocess.SubprocessError):
        pass
    cc = gpu_compute_capability()
    if cc:
        info["compute_capability"] = cc
    return info


def gpu_compute_capability() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=5)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip().splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:  # Jetson: no nvidia-smi on older JetPacks; cuda-python may be there
        from cuda.bindings import runtime as cudart

        err, major = cudart.cudaDeviceGetAttribute(cudart.cudaDeviceAttr.cudaDevAttrComputeCapabilityMajor, 0)
        err2, minor = cudart.cudaDeviceGetAttribute(cudart.cudaDeviceAttr.cudaDevAttrComputeCapabilityMinor, 0)
        if int(err) == 0 and int(err2) == 0:
            return f"{major}.{minor}"
    except Exception:  # no CUDA here: nothing to report
        pass
    return None


def toolkit_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in ("openvino", "onnxruntime", "tensorrt"):
        try:
            module = __import__(name)
            versions[name] = str(getattr(module, "__version__", "") or module.get_version())
        except Exception:  # not installed: not a problem unless the bundle needs it
            continue
    return versions


def openvino_devices() -> list[str]:
    try:
        import openvino as ov

        return list(ov.Core().available_devices)
    except Exception:
        return []
