#!/usr/bin/env python3
"""Write the API name lists that tests/conformance checks cleftedge's TensorRT, cuda-python and
pycuda calls against (tests/conformance/surfaces/*.json: identifiers only, with their sources).

    git clone --bare https://github.com/NVIDIA/TensorRT /tmp/TensorRT.git
    git clone --bare https://github.com/inducer/pycuda /tmp/pycuda.git
    python scripts/api_surfaces/extract.py --tensorrt-repo /tmp/TensorRT.git --pycuda-repo /tmp/pycuda.git

TensorRT: NVIDIA's binding sources per release branch are authoritative; each release's
tensorrt-cuXX-bindings wheel (downloaded with pip, never imported) cross-checks the names. A
release whose sources are not public is made from the nearest earlier release's sources filtered by
its wheel's strings, and says so. cuda-python: each release's wheel is installed into a temporary
folder and imported in a subprocess (it imports without a GPU). pycuda: its Boost.Python sources.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import operator
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpp_text import preprocess, strip_comments  # noqa: E402
from cuda_surface import installed_surface  # noqa: E402
from tensorrt_surface import REPOSITORY as REPOSITORY_URL  # noqa: E402
from tensorrt_surface import cross_check, filtered_by_wheel, git, sources_surface  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "conformance" / "surfaces"

# version -> (release branch or None when its sources are not public, wheel, base version for wheel-only)
TENSORRT = {
    "10.3": ("release/10.3", "tensorrt-cu12-bindings==10.3.0", None),  # JetPack 6.1/6.2
    "10.7": ("release/10.7", "tensorrt-cu12-bindings==10.7.0", None),  # the last 10.x with DLA
    "10.16": ("release/10.16", "tensorrt-cu12-bindings==10.16.0.72", None),  # JetPack 7.2
    "11.1": ("release/11.1", "tensorrt-cu12-bindings==11.1.0.106", None),
    "11.4": (None, "tensorrt-cu13-bindings==11.4.0.106", "11.1"),  # JetPack 7.2.2 ships 11.4.1
}
# cuda-python lines: JetPack 6 (CUDA 12.6: cuda.bindings from cuda-python 12.6.1) and JetPack 7 (CUDA 13)
CUDA = {"12.6": "cuda-python==12.6.2.post1", "13.0": "cuda-bindings==13.0.0"}
PYCUDA = {"2026.1": "v2026.1"}
PYCUDA_CUDA_VERSION = 12060  # the oldest CUDA a supported JetPack has (JetPack 6: 12.6)
COMPARE = {">=": operator.ge, "<=": operator.le, "<": operator.lt, ">": operator.gt, "==": operator.eq}
WHEEL_PLATFORM = ["--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
                  "--python-version", "3.11", "--only-binary=:all:", "--no-deps"]


def header(library: str, version: str) -> dict:
    return {"kind": "cleftedge.api_surface", "schema": 1, "library": library, "version": version,
            "made_by": "scripts/api_surfaces/extract.py", "note": "identifiers only, extracted by the script above"}


def write(name: str, data: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def download_wheel(spec: str, folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", *WHEEL_PLATFORM, "-d", str(folder), spec],
                   check=True)
    name = spec.split("==")[0].replace("-", "_")
    version = spec.split("==")[1]
    found = [p for p in folder.glob(f"{name}-{version}-*.whl")]
    if len(found) != 1:
        raise SystemExit(f"expected one wheel for {spec} in {folder}, found {found}")
    return found[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tensorrt(repo: Path, wheels: Path) -> None:
    made: dict[str, dict] = {}
    for version, (ref, wheel_spec, base) in TENSORRT.items():
        wheel = download_wheel(wheel_spec, wheels)
        if ref is not None:
            surface = sources_surface(repo, ref)
            check = cross_check(surface, wheel, sha256(wheel))
            check["wheel_spec"] = wheel_spec
        else:
            surface = filtered_by_wheel(made[base], wheel)
            surface["source"] = {
                "kind": "wheel strings", "wheel": wheel.name, "wheel_spec": wheel_spec, "sha256": sha256(wheel),
                "base": f"tensorrt-{base}.json (binding sources {made[base]['source']['ref']} "
                        f"{made[base]['source']['commit']})",
                "limits": f"NVIDIA has not published the {version} binding sources (no release/{version} branch "
                          f"in {made[base]['source']['repository']}): this is the {base} surface less every name "
                          f"the {version} wheel's strings lack. Names new in {version} are missing; a name removed "
                          f"from one class but still bound elsewhere (an enum value such as INT8) is not noticed; "
                          f"keyword names are {base}'s."}
            check = None
        made[version] = surface
        data = {**header("tensorrt", version), "source": surface.pop("source")}
        if check is not None:
            data["cross_check"] = check
        data.update(surface)
        made[version] = {**surface, "source": data["source"]}
        write(f"tensorrt-{version}", data)


def versioned_names_history(repo: Path) -> None:
    """For each name of tensorrt_settings.VERSIONED_NAMES, the release branches whose binding
    sources have it (every 10.x and 11.x branch, so the table's first/last versions are checked
    exactly, not only at the supported versions)."""
    sys.path.insert(0, str(ROOT))
    from surface_lookup import has_dotted

    from cleftedge.export.builders.tensorrt_settings import VERSIONED_NAMES

    refs = [r.strip().removeprefix("* ") for r in git(repo, "branch", "--list", "release/1[01].*").splitlines()]
    refs.sort(key=lambda r: tuple(int(p) for p in r.removeprefix("release/").split(".")))
    present = {name: [] for name in VERSIONED_NAMES}
    commits = {}
    for ref in refs:
        surface = sources_surface(repo, ref)
        commits[ref] = surface["source"]["commit"]
        for name in VERSIONED_NAMES:
            if has_dotted(surface, name):
                present[name].append(ref.removeprefix("release/"))
    write("tensorrt-versioned-names", {**header("tensorrt", "all release branches"),
                                       "source": {"kind": "binding sources", "repository": REPOSITORY_URL,
                                                  "commits": commits},
                                       "present_in": present})


def cuda() -> None:
    for line, spec in CUDA.items():
        surface = installed_surface(spec)
        source = {"kind": "installed wheel, imported", "package": spec, "cuda_bindings_version": surface["version"],
                  "dist_info": surface["dist_info"], "module": "cuda.bindings.runtime"}
        data = {**header("cuda-python", line), "source": source, "module": {"functions": surface["functions"]},
                "classes": surface["classes"]}
        write(f"cuda-python-{line}", data)


def pycuda(repo: Path) -> None:
    from boost_python_names import read_boost_bindings
    from pybind_names import Bindings
    from python_names import read_python_layer

    def condition(text: str) -> bool | None:
        import re

        text = text.strip()
        if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
            text = text[1:-1].strip()
        if "&&" in text and "||" not in text:
            terms = [condition(t.strip()[1:-1].strip() if t.strip().startswith("(") else t.strip())
                     for t in text.split("&&")]
            return None if None in terms else all(terms)
        m = re.fullmatch(r"CUDAPP_CUDA_VERSION\s*(>=|<=|<|>|==)\s*(\d+)", text)
        if m:
            return COMPARE[m.group(1)](PYCUDA_CUDA_VERSION, int(m.group(2)))
        return {"defined(HAVE_GL)": False, "defined(HAVE_CURAND)": False, "defined(CUDAPP_POST_30_BETA)": True,
                "PY_VERSION_HEX >= 0x02060000": True, "defined(_WIN32)": False, "defined(_WIN64)": False,
                "NPY_ABI_VERSION < 0x02000000": False}.get(text)

    for version, ref in PYCUDA.items():
        used: dict[str, bool] = {}
        path = "src/wrapper/wrap_cudadrv.cpp"
        bindings = read_boost_bindings(preprocess(strip_comments(git(repo, "show", f"{ref}:{path}")), condition, used),
                                       Bindings())
        driver = read_python_layer(git(repo, "show", f"{ref}:pycuda/driver.py"))
        package = read_python_layer(git(repo, "show", f"{ref}:pycuda/__init__.py"))
        classes = {c.name: {"kind": c.kind, "methods": dict(sorted(c.methods.items())),
                            "properties": sorted(c.properties), "readonly": sorted(c.readonly),
                            "static": sorted(c.static), "values": sorted(c.values)}
                   for c in sorted(bindings.classes.values(), key=lambda c: c.name)}
        driver_functions = {**dict(sorted(bindings.functions.items())), **driver["functions"]}
        data = {**header("pycuda", version),
                "source": {"kind": "binding sources", "repository": "https://github.com/inducer/pycuda", "ref": ref,
                           "commit": git(repo, "rev-parse", f"{ref}^{{commit}}").strip(),
                           "files": [path, "pycuda/driver.py", "pycuda/__init__.py"],
                           "preprocessor": dict(sorted(used.items())),
                           "cuda_version_assumed": PYCUDA_CUDA_VERSION},
                "modules": {"pycuda": {"functions": package["functions"], "attributes": package["attributes"]},
                            "pycuda.driver": {"functions": driver_functions,
                                              "attributes": sorted(bindings.attributes | set(driver["attributes"]))}},
                "classes": classes}
        write(f"pycuda-{version}", data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tensorrt-repo", type=Path, help="a clone (bare is fine) of NVIDIA/TensorRT")
    parser.add_argument("--pycuda-repo", type=Path, help="a clone (bare is fine) of inducer/pycuda")
    parser.add_argument("--cuda", action="store_true",
                        help="also the cuda-python lists (installs wheels to a temp dir)")
    parser.add_argument("--wheels", type=Path, help="where to keep downloaded TensorRT wheels (default: a temp dir)")
    args = parser.parse_args()
    if not (args.tensorrt_repo or args.pycuda_repo or args.cuda):
        parser.error("give --tensorrt-repo, --pycuda-repo and/or --cuda")
    if args.tensorrt_repo:
        with tempfile.TemporaryDirectory() as tmp:
            tensorrt(args.tensorrt_repo, args.wheels or Path(tmp))
        versioned_names_history(args.tensorrt_repo)
    if args.pycuda_repo:
        pycuda(args.pycuda_repo)
    if args.cuda:
        cuda()


if __name__ == "__main__":
    main()
