"""What a cart installs, pinned: for a folder of wheels (`make wheelhouse`), a requirements.txt with
a --hash line for every wheel (for `pip install --no-index --require-hashes`) and a CycloneDX 1.5
SBOM (JSON) of the same wheels.

    python -m cleftedge.tools.wheelhouse wheelhouse/
"""

from __future__ import annotations

import email.parser
import json
import re
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file

REQUIREMENTS = "requirements.txt"
SBOM = "sbom.cdx.json"


@dataclass(frozen=True)
class Wheel:
    file: str
    name: str  # as METADATA spells it
    version: str
    sha256: str
    summary: str
    license: str | None
    requires: tuple[str, ...]  # Requires-Dist lines

    @property
    def key(self) -> str:
        """The normalised project name (PEP 503)."""
        return re.sub(r"[-_.]+", "-", self.name).lower()

    @property
    def purl(self) -> str:
        """The wheel's package URL (pkg:pypi/name@version) for the SBOM."""
        return f"pkg:pypi/{self.key}@{self.version}"


def read_wheel(path: Path) -> Wheel:
    """Name, version, licence and requirements from a wheel's METADATA, and its SHA-256."""
    try:
        with zipfile.ZipFile(path) as z:
            meta_name = next(n for n in z.namelist() if re.match(r"^[^/]+\.dist-info/METADATA$", n))
            meta = email.parser.Parser().parsestr(z.read(meta_name).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, StopIteration, OSError) as exc:
        raise CleftEdgeError(f"{path.name} is not a readable wheel ({exc or 'no METADATA'})",
                             "wheels made by pip wheel", "run 'make wheelhouse' again") from None
    given = (meta.get("License-Expression") or meta.get("License") or "").strip().splitlines()
    licence = given[0] if given and len(given[0]) < 100 else None  # a whole licence text is not a name
    return Wheel(path.name, meta["Name"], meta["Version"], sha256_file(path), meta.get("Summary") or "", licence,
                 tuple(meta.get_all("Requires-Dist") or ()))


def read_wheelhouse(folder: Path) -> list[Wheel]:
    """Every wheel in `folder`, read and sorted by name; one-line CleftEdgeError when there is none."""
    wheels = sorted((read_wheel(p) for p in folder.glob("*.whl")), key=lambda w: w.key)
    if not wheels:
        raise CleftEdgeError(f"{folder} holds no wheels", "the folder 'pip wheel' wrote", "run 'make wheelhouse'")
    seen: dict[str, Wheel] = {}
    for w in wheels:
        if w.key in seen:
            raise CleftEdgeError(f"{folder} holds two wheels of {w.name} ({seen[w.key].file}, {w.file})",
                                 "one wheel per project", "remove the folder and run 'make wheelhouse' again")
        seen[w.key] = w
    return wheels


def requirements_text(wheels: list[Wheel]) -> str:
    """requirements.txt: `name==version --hash=sha256:...` for every wheel."""
    lines = ["# What the cart installs, every wheel pinned by its SHA-256 "
             "(written by python -m cleftedge.tools.wheelhouse).",
             "# pip install --no-index --find-links wheelhouse --require-hashes -r wheelhouse/requirements.txt"]
    for w in wheels:
        lines.append(f"{w.key}=={w.version} \\\n    --hash=sha256:{w.sha256}")
    return "\n".join(lines) + "\n"


def _depends_on(w: Wheel, present: dict[str, Wheel]) -> list[str]:
    """The wheels of this folder that `w` requires here (markers evaluated for this Python; extras'
    requirements count when their wheel is in the folder)."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for line in w.requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key not in present:
            continue
        if req.marker is not None and "extra" not in str(req.marker) and not req.marker.evaluate():
            continue
        out.append(present[key].purl)
    return sorted(set(out))


def sbom(wheels: list[Wheel], top: str = "cleftedge") -> dict:
    """A CycloneDX 1.5 BOM: one library component per wheel (name, version, purl, SHA-256, licence)
    and the dependency graph between them."""
    from cleftedge import __version__

    present = {w.key: w for w in wheels}
    components = []
    for w in wheels:
        c = {"type": "library", "bom-ref": w.purl, "name": w.name, "version": w.version, "purl": w.purl,
             "hashes": [{"alg": "SHA-256", "content": w.sha256}],
             "properties": [{"name": "cleftedge:wheel", "value": w.file}]}
        if w.summary:
            c["description"] = w.summary
        if w.license:
            c["licenses"] = [{"license": {"name": w.license}}]
        components.append(c)
    root = present[top].purl if top in present else f"pkg:pypi/{top}@{__version__}"
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": f"urn:uuid:{uuid.uuid4()}", "version": 1,
        "metadata": {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "tools": {"components": [{"type": "application", "name": "cleftedge.wheelhouse",
                                               "version": __version__}]},
                     "component": {"type": "application", "bom-ref": f"{root}#cart", "name": f"{top} cart install",
                                   "version": present[top].version if top in present else __version__}},
        "components": components,
        "dependencies": [{"ref": f"{root}#cart", "dependsOn": sorted(w.purl for w in wheels)}] +
                        [{"ref": w.purl, "dependsOn": _depends_on(w, present)} for w in wheels],
    }


def write_manifests(folder: Path) -> list[Wheel]:
    """Write requirements.txt and sbom.cdx.json into the wheel folder; return its wheels."""
    from cleftedge.atomic import write_text

    wheels = read_wheelhouse(folder)
    write_text(folder / REQUIREMENTS, requirements_text(wheels))
    write_text(folder / SBOM, json.dumps(sbom(wheels), indent=2) + "\n")
    return wheels


def main(argv: list[str] | None = None) -> int:
    """`python -m cleftedge.tools.wheelhouse FOLDER`: write its requirements.txt and SBOM; the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m cleftedge.tools.wheelhouse WHEEL_FOLDER", file=sys.stderr)
        return 1
    folder = Path(args[0])
    try:
        wheels = write_manifests(folder)
    except CleftEdgeError as exc:
        print(f"cleftedge: error: {exc.line()}", file=sys.stderr)
        return 1
    print(f"wrote {folder / REQUIREMENTS} and {folder / SBOM} ({len(wheels)} wheels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
