"""`bundle verify`: every hash, the signature against the trust store, this machine against the
bundle, the QA attestation when the profile requires one, and the known-answer test."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle import machine
from cleftedge.runtime.bundle.manifest import hash_files, load_manifest
from cleftedge.runtime.bundle.signing import EXPIRY_WARNING_DAYS, SIGNATURE_FILE
from cleftedge.runtime.bundle.trust import trust_store_path

ROLE = "bundle"  # the key role that signs bundle manifests
ENGINE_GATES = ("files", "signature", "machine")  # the engine runs (known answers) only once these pass


@dataclass
class Check:
    """One check's result: `line` says what was found (or what is wrong); a warning passes."""

    name: str
    ok: bool
    line: str
    warning: bool = False


@dataclass
class Verification:
    """A bundle folder, its manifest and the checks run on it so far."""

    folder: Path
    manifest: dict[str, Any]
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed (warnings pass)."""
        return all(c.ok for c in self.checks)

    def add(self, name: str, problem: str | None, ok_line: str, warning: bool = False) -> None:
        """Record check `name`: passed with `ok_line` when `problem` is None, else failed with `problem`
        (or, with `warning`, passed with `problem` shown as a warning)."""
        self.checks.append(Check(name, problem is None or warning, problem or ok_line, warning and problem is not None))


def check_files(v: Verification) -> None:
    """Every file the manifest lists is there with its SHA-256, and no other file is."""
    try:
        found = hash_files(v.folder)
    except CleftEdgeError as exc:
        return v.add("files", exc.what, "")
    listed = v.manifest["files"]
    for rel, sha in listed.items():
        if rel not in found:
            return v.add("files", f"{rel} is missing from the bundle", "")
        if found[rel] != sha:
            return v.add("files", f"{rel} does not match its SHA-256 in the manifest (changed or corrupt)", "")
    extra = sorted(set(found) - set(listed))
    if extra:
        return v.add("files", f"{extra[0]} is in the bundle but not in the manifest", "")
    v.add("files", None, f"{len(listed)} files match their SHA-256")


def check_signature(v: Verification, trust_store: str | os.PathLike | None, allow_unsigned: bool) -> None:
    """A signature that is present is always checked against the trust store: --allow-unsigned
    admits only a bundle that carries no signature at all."""
    from cleftedge.runtime.bundle.trust import load_trust_store

    sig_path = v.folder / SIGNATURE_FILE
    if not sig_path.is_file():
        if allow_unsigned:
            return v.add("signature", "unsigned, accepted because of --allow-unsigned (development only)", "",
                         warning=True)
        return v.add("signature", "the bundle is not signed (sign it with 'cleftedge bundle sign')", "")
    try:
        signature = json.loads(sig_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return v.add("signature", f"{SIGNATURE_FILE} is not valid JSON", "")
    try:
        store = load_trust_store(trust_store_path(trust_store))
    except CleftEdgeError as exc:
        return v.add("signature", f"trust store: {exc.what}", "")
    problem, key = store.check(v.manifest, signature, ROLE)
    if problem:
        return v.add("signature", problem, "")
    assert key is not None  # TrustStore.check: no problem means a key of the store signed it
    v.add("signature", None, f"signed by trusted key {key.key_id} ({key.info.role}, {key.info.validity()}; "
          f"{store.path})")
    left = key.info.days_left()
    if left is not None and left <= EXPIRY_WARNING_DAYS:
        v.add("signature", f"the signing key {key.key_id} expires on {key.info.expires}: this cart refuses the "
              "bundle from the day after; re-sign it with the key's successor", "", warning=True)


def check_release(v: Verification, allow_rollback: bool) -> None:
    """Refuse a release older than the highest this cart has run (see releases.py)."""
    from cleftedge.runtime.bundle.releases import rollback_problem

    try:
        problem, line, highest = rollback_problem(v.manifest)
    except CleftEdgeError as exc:
        return v.add("release", exc.what, "")
    if problem and allow_rollback:
        return v.add("release", f"{problem}; accepted because of --allow-rollback", "", warning=True)
    v.add("release", f"{problem}; run the newest release, or pass --allow-rollback (recorded in the events)"
          if problem else None, line)


def check_machine(v: Verification) -> None:
    """This machine can run the engine: its backend installed at a version the profile allows, the
    device present, and for a TensorRT plan the version, compute capability and platform it needs."""
    m = v.manifest
    have = machine.toolkit_versions()
    backend = m["backend"]
    built = m["toolkit"].get(backend)
    if backend not in have:
        return v.add("machine", f"{backend} is not installed on this machine", "")
    if backend == "tensorrt":
        from cleftedge.runtime.bundle.compat import plan_runs_here

        here = {"trt_version": have["tensorrt"], "compute_capability": machine.gpu_compute_capability(),
                "platform": machine.build_platform()}
        built_info = {"trt_version": built, **m["target"], **m.get("build_settings", {}), "platform": m.get("platform")}
        problems = plan_runs_here(built_info, here)
        v.add("machine", problems[0] if problems else None, f"TensorRT {here['trt_version']} on compute capability "
              f"{here['compute_capability']}")
        power = machine.jetson_info().get("power_mode")
        want = m["target"].get("power_mode")
        if want and power and power != want:
            v.add("power mode", f"power mode {power}, the bundle was built and timed at {want}", "", warning=True)
        return None
    from cleftedge.device_profiles.rules import toolkit_accepts
    from cleftedge.runtime.bundle.compat import parse_version

    toolkit = m["profile"]["toolkit"]
    version = have[backend]
    if not toolkit_accepts(toolkit, parse_version(version)):
        return v.add("machine", f"{backend} {version} is outside the profile's range {toolkit.get('min_version')}.."
                     f"{toolkit.get('max_version')}", "")
    if backend == "openvino":
        device, devices = m["device"], machine.openvino_devices()
        if not machine.has_openvino_device(device, devices):
            return v.add("machine", f"OpenVINO device {device} is not present (found {', '.join(devices)})", "")
    v.add("machine", None, f"{backend} {version}, device {m['device']}")


def check_qa(v: Verification) -> None:
    """The attestation, the attached report it names, and the profile's [qa] floor, permit and
    lineage rules (attestation.py)."""
    from cleftedge.runtime.bundle.attestation import attestation_problems, policy_text

    qa = v.manifest.get("qa")
    required = bool(v.manifest["profile"].get("qa", {}).get("required"))
    if not qa:
        return v.add("qa", "no QA attestation attached; the profile requires one" if required else None,
                     "no QA attestation (not required by the profile)")
    problems = attestation_problems(v.manifest, v.folder)
    runs = qa.get("runs_on_this_data")
    v.add("qa", problems[0] if problems else None,
          f"QA passed ({qa.get('line', '')}); {policy_text(qa)}" + (f"; {runs} QA runs on this data set" if runs
                                                                    else ""))


def check_known_answers(v: Verification) -> None:
    """The engine scores the bundle's golden frames within the recorded tolerance of their scores."""
    from cleftedge.runtime.backends import bundle_options, open_backend
    from cleftedge.runtime.preprocess import Preprocessor
    from cleftedge.runtime.scoring import scores_from_output
    from cleftedge.spec import ModelSpec

    golden = v.manifest["golden"]
    spec = ModelSpec.from_dict(v.manifest["spec"], "bundle manifest")
    pre = Preprocessor(spec.input)
    read = [cv2.imread(str(v.folder / g["file"]), cv2.IMREAD_UNCHANGED) for g in golden["frames"]]
    frames = [f for f in read if f is not None]
    if len(frames) != len(read) or not frames:
        return v.add("known answers", "a golden frame cannot be read", "")
    engine = v.folder / v.manifest["engine"]["path"]
    with open_backend(engine, backend=v.manifest["backend"], device=v.manifest["device"], spec=spec,
                      **bundle_options(v.manifest)) as backend:
        raw = backend.infer(pre.batch(frames))
    scores = scores_from_output(spec.output, raw[spec.output.name])
    expected = np.array([g["score"] for g in golden["frames"]])
    worst = float(np.max(np.abs(scores - expected)))
    tol = float(golden["tolerance"])
    v.add("known answers", None if worst <= tol else f"golden frames scored {worst:.4f} away from the expected "
          f"scores (tolerance {tol})", f"{len(frames)} golden frames within {tol} (max difference {worst:.4f})")


def verify_folder(folder: Path, trust_store: str | os.PathLike | None = None, allow_unsigned: bool = False,
                  known_answers: bool = True, allow_rollback: bool = False) -> Verification:
    """Every check, in this order (docs/integrators.md lists them): files, signature, release,
    machine, qa, known answers."""
    v = Verification(folder, load_manifest(folder))
    check_files(v)
    check_signature(v, trust_store, allow_unsigned)
    check_release(v, allow_rollback)
    check_machine(v)
    check_qa(v)
    # an engine is run only once its bytes and its signer are known good (a plan can carry host code)
    if known_answers and all(c.ok for c in v.checks if c.name in ENGINE_GATES):
        check_known_answers(v)
    elif known_answers:
        v.add("known answers", "not run: the engine runs only once files, signature and machine pass", "",
              warning=True)
    return v
