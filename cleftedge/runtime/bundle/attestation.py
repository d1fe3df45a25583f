"""The QA attestation on the cart (manifest "qa"): what it must say, and `verify`'s checks of it.

- The attached report (qa/report.json, hashed in the manifest) is read and must agree with the
  attestation: this engine's hash, a passing verdict, the same data hash, policy (content and
  SHA-256), reference, precision, PROXY and --allow-* options.
- The profile's [qa] table: `policy_floor` (policy keys; with `required = true` it defaults to the
  default policy's criteria) refuses a policy looser than the floor on any criterion; `permit`
  lists the --allow-* options QA may have used (none by default when QA is required);
  `require_lineage = true` refuses a candidate whose lineage QA could not check.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

REPORT = "qa/report.json"
NOT_A_CRITERION = ("seed",)  # policy keys a floor never compares


def policy_sha256(policy: dict) -> str:
    """SHA-256 of a policy as canonical JSON (the QA report's own definition)."""
    return hashlib.sha256(json.dumps(policy, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def floor_rule(key: str) -> str | None:
    """How a policy key compares against a floor: "at_least" (min_*, confidence, resamples: a
    higher value is stricter), "at_most" (max_*: lower is stricter), or None (not a criterion)."""
    if key in NOT_A_CRITERION:
        return None
    if key.startswith(("min_", "minimum_")) or key in ("confidence", "resamples"):
        return "at_least"
    if key.startswith(("max_", "maximum_")):
        return "at_most"
    return None


# The default QA policy's criteria (calibration/qa/policy.py's Policy().to_dict(), the cluster minimums
# filled in): the floor of a profile that requires QA and sets none. Written out here because the cart
# verifies bundles without the calibration package; tests/runtime/bundle checks it against the policy.
DEFAULT_FLOOR: dict[str, float | int] = {
    "min_sensitivity_difference_pp": -2.0, "min_specificity_difference_pp": -2.0, "max_auc_drop": 0.01,
    "min_agreement": 0.98, "confidence": 0.95, "resamples": 2000, "min_positive_clusters": 189,
    "min_negative_clusters": 189,
}


def default_floor() -> dict:
    """The default policy's criteria: the floor of a profile that requires QA and sets none."""
    return dict(DEFAULT_FLOOR)


def profile_floor(profile_qa: dict) -> dict | None:
    """The floor a profile's [qa] table sets: its `policy_floor`, else the default one when QA is
    required, else None (no floor)."""
    if isinstance(profile_qa.get("policy_floor"), dict):
        return profile_qa["policy_floor"]
    return default_floor() if profile_qa.get("required") else None


def looser_than(policy: dict, floor: dict) -> list[str]:
    """One line for every criterion of `floor` that `policy` judges more loosely (or not at all)."""
    problems = []
    for key, limit in sorted(floor.items()):
        rule, value = floor_rule(key), policy.get(key)
        if value is None:
            problems.append(f"the QA policy does not gate '{key}' (the profile's floor is {limit})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"the QA policy's '{key}' is {value!r}, not a number")
        elif (rule == "at_least" and value < limit) or (rule == "at_most" and value > limit):
            word = "below" if rule == "at_least" else "above"
            problems.append(f"the QA policy's '{key}' is {value:g}, {word} the profile's floor {limit:g} "
                            "(a looser policy than this cart accepts)")
    return problems


def report_problems(qa: dict, report: dict, engine_sha256: str) -> list[str]:
    """Where the attached report disagrees with the attestation or with this engine."""
    cand, verdict, data, reference = (_table(report, k) for k in ("candidate", "verdict", "data", "reference"))
    policy = report.get("policy")
    pairs = [
        ("its candidate", cand.get("sha256"), engine_sha256, "this bundle's engine"),
        ("its data set hash", data.get("content_hash"), qa.get("data_sha256"), "the attestation's"),
        ("its reference", reference.get("sha256"), qa.get("reference_sha256"), "the attestation's"),
        ("its policy", policy, qa.get("policy"), "the attestation's"),
        ("its inference precision", inference_precision(cand), qa.get("inference_precision"), "the attestation's"),
        ("its PROXY flag", bool(cand.get("proxy", False)), bool(qa.get("proxy", False)), "the attestation's"),
        ("its --allow-* options", _as_set(report.get("allowances")), _as_set(qa.get("allowances")),
         "the attestation's"),
    ]
    problems = [f"the attached QA report disagrees with {theirs}: {what} is {_short(found)}, expected "
                f"{_short(want)}" for what, found, want, theirs in pairs if found != want]
    if verdict.get("passed") is not True or verdict.get("result", "pass") != "pass":
        problems.insert(0, f"the attached QA report's verdict is {verdict.get('result') or verdict.get('passed')!r}, "
                        "not pass")
    if isinstance(policy, dict):
        for name, sha in (("the report's policy_sha256", report.get("policy_sha256", qa.get("policy_sha256"))),
                          ("the attestation's policy_sha256", qa.get("policy_sha256"))):
            if sha != policy_sha256(policy):
                problems.append(f"{name} is not the SHA-256 of the policy it names")
    return problems


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """doc[key] when it is a JSON object, else {} (a report field missing or of another type)."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _as_set(value: object) -> object:
    """A list of option names compared without regard to order (None stays None: not recorded)."""
    return sorted(set(map(str, value))) if isinstance(value, list) else value


def inference_precision(candidate: dict) -> str | None:
    """What the candidate ran with (the report's own field; older reports had it in backend)."""
    if candidate.get("inference_precision"):
        return candidate["inference_precision"]
    return _table(candidate, "backend").get("inference_precision")


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:16] + "..." + text[-8:]


def attestation_problems(manifest: dict, folder: Path) -> list[str]:
    """Every reason the attestation does not mean what it says, in the order they are checked."""
    from cleftedge.documents import read_json_object
    from cleftedge.errors import CleftEdgeError

    qa, engine = manifest["qa"], manifest["engine"]["sha256"]
    if qa.get("candidate_sha256") != engine:
        return ["the QA attestation was made on another engine"]
    if qa.get("verdict") != "pass":
        return [f"the attached QA verdict is {qa.get('verdict')}"]
    if manifest["files"].get(REPORT) is None or manifest["files"][REPORT] != qa.get("report_sha256"):
        return [f"the attested QA report {REPORT} is not the one the manifest hashes"]
    try:
        report = read_json_object(folder / REPORT, "attached QA report", "the report attach-qa wrote",
                                  "attach QA again", "attach QA again")
    except CleftEdgeError as exc:
        return [exc.what]
    problems = report_problems(qa, report, engine)
    profile_qa = manifest["profile"].get("qa", {})
    floor = profile_floor(profile_qa)
    if floor is not None:
        if not isinstance(qa.get("policy"), dict):
            problems.append("the QA attestation carries no policy to hold against the profile's floor (attested by "
                            "an older cleftedge): run QA and attach-qa again")
        else:
            problems += looser_than(qa["policy"], floor)
    if profile_qa.get("required") or "permit" in profile_qa:
        permitted = {_flag(p) for p in profile_qa.get("permit", [])}
        used = qa.get("allowances")
        if not isinstance(used, list):
            problems.append("the QA attestation does not say which --allow-* options QA used (a report of schema 1): "
                            "run QA and attach-qa again")
        else:
            problems += [f"QA used --{_flag(a).replace('_', '-')}, which the profile does not permit ([qa] permit)"
                         for a in used if _flag(a) not in permitted]
    if profile_qa.get("require_lineage"):
        status = (qa.get("lineage") or {}).get("status") if isinstance(qa.get("lineage"), dict) else None
        if status != "checked":
            problems.append(f"the candidate's lineage is {status or 'unknown'}; the profile requires it checked "
                            "([qa] require_lineage)")
    return problems


def _flag(name: str) -> str:
    """allow_overlap, allow-overlap and --allow-overlap are one option."""
    return str(name).lstrip("-").replace("-", "_")


def policy_text(qa: dict) -> str:
    """The attested policy in one line: its hash and its criteria."""
    policy = qa.get("policy")
    if not isinstance(policy, dict):
        return "policy not recorded (an older attestation)"
    criteria = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{k} {v}"
                         for k, v in sorted(policy.items()) if floor_rule(k) and v is not None)
    return f"policy sha256 {str(qa.get('policy_sha256'))[:12]}: {criteria}"
