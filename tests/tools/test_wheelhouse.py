"""`make wheelhouse`'s manifests: a requirements.txt that pins every wheel by hash (pip refuses a wheel
that is not the one pinned) and a CycloneDX SBOM of the same wheels. Small real wheels here; the
offline install of the whole cart set is checked by hand (docs/integrators.md)."""

import base64
import hashlib
import json
import subprocess
import sys
import zipfile

import pytest

from cleftedge.hashing import sha256_file
from cleftedge.tools.wheelhouse import main, read_wheelhouse, write_manifests


def make_wheel(folder, name: str, version: str, requires=(), licence="MIT"):
    """A real, installable pure-Python wheel with one module."""
    dist = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n",
             f"{dist}/METADATA": "Metadata-Version: 2.1\n" + f"Name: {name}\nVersion: {version}\n"
             f"Summary: test wheel {name}\nLicense: {licence}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join(record + [f"{dist}/RECORD,,"]) + "\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name_, text in files.items():
            z.writestr(name_, text)
    return path


@pytest.fixture
def wheelhouse(tmp_path):
    folder = tmp_path / "wheelhouse"
    folder.mkdir()
    make_wheel(folder, "alpha", "1.2.0", requires=["beta>=2", "gamma; python_version < '3.0'"])
    make_wheel(folder, "beta", "2.0.1", licence="Apache-2.0")
    return folder


def test_requirements_pin_every_wheel_and_the_sbom_lists_them(wheelhouse, capsys):
    assert main([str(wheelhouse)]) == 0
    assert "2 wheels" in capsys.readouterr().out
    text = (wheelhouse / "requirements.txt").read_text()
    for wheel in wheelhouse.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        assert f"{name}=={version} \\\n    --hash=sha256:{sha256_file(wheel)}" in text
    bom = json.loads((wheelhouse / "sbom.cdx.json").read_text())
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.5")
    assert bom["serialNumber"].startswith("urn:uuid:")
    comps = {c["name"]: c for c in bom["components"]}
    assert comps["beta"]["purl"] == "pkg:pypi/beta@2.0.1"
    beta = wheelhouse / "beta-2.0.1-py3-none-any.whl"
    assert comps["beta"]["hashes"] == [{"alg": "SHA-256", "content": sha256_file(beta)}]
    assert comps["beta"]["licenses"] == [{"license": {"name": "Apache-2.0"}}]
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert deps["pkg:pypi/alpha@1.2.0"] == ["pkg:pypi/beta@2.0.1"] and deps["pkg:pypi/beta@2.0.1"] == []


def test_two_versions_of_one_project_or_no_wheels_are_refused(wheelhouse, tmp_path, capsys):
    make_wheel(wheelhouse, "beta", "2.0.2")
    assert main([str(wheelhouse)]) == 1
    assert "two wheels of beta" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty")]) == 1


@pytest.mark.slow
def test_pip_installs_offline_with_require_hashes_and_refuses_a_swapped_wheel(wheelhouse, tmp_path):
    write_manifests(wheelhouse)
    venv = tmp_path / "cart"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"

    def install():
        return subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                               "--no-index", "--find-links", str(wheelhouse), "--require-hashes", "-r",
                               str(wheelhouse / "requirements.txt")], capture_output=True, text=True, timeout=300)

    # the wheel a cart receives is not the one that was pinned
    swapped = wheelhouse / "beta-2.0.1-py3-none-any.whl"
    good = swapped.read_bytes()
    make_wheel(tmp_path, "beta", "2.0.1", licence="evil")
    swapped.write_bytes((tmp_path / swapped.name).read_bytes())
    refused = install()
    assert refused.returncode != 0 and "hash" in refused.stderr.lower()
    swapped.write_bytes(good)
    done = install()
    assert done.returncode == 0, done.stderr
    out = subprocess.run([str(python), "-c", "import alpha, beta; print(alpha.VERSION, beta.VERSION)"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["1.2.0", "2.0.1"]
    assert [w.name for w in read_wheelhouse(wheelhouse)] == ["alpha", "beta"]


def test_the_make_wheelhouse_entry_point_runs_as_a_module(tmp_path):
    """`make wheelhouse` runs `python -m cleftedge.tools.wheelhouse FOLDER`: the module path it names works."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    module = re.search(r"-m (cleftedge\S*wheelhouse) wheelhouse", makefile).group(1)
    out = subprocess.run([sys.executable, "-m", module, str(tmp_path / "none")], capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.startswith("cleftedge: error:"), out.stderr
    assert "Traceback" not in out.stderr
