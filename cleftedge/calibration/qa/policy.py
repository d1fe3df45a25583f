"""The QA policy: its keys (one table) and how a file of them is read and checked.

Every criterion is judged on the conservative end of its two-sided interval (a one-sided 97.5 %
non-inferiority test at the default 95 %; the criteria are an intersection, so no multiplicity
adjustment), and the interval is the more conservative of an analytic one that respects the
clustering (evidence.py) and the case-clustered bootstrap (verdict.py). Below the minimum number of
positive and negative clusters the verdict is INCONCLUSIVE, never PASS (minimums.py)."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from cleftedge.calibration.qa.minimums import agreement_minimum, zero_flip_minimum
from cleftedge.documents import read_document
from cleftedge.errors import CleftEdgeError


@dataclass(frozen=True)
class Key:
    kind: type  # int or float
    low: float | None
    high: float | None
    high_open: bool  # the high end itself is not allowed
    expected: str  # the range in words, for the error line
    optional: bool = False  # None (not gated) is its default


# name -> how it is checked (its default is Policy's); one row per policy key
KEYS: dict[str, Key] = {
    "min_sensitivity_difference_pp": Key(float, -100.0, 0.0, True, "from -100 to below 0 (pp)"),
    "min_specificity_difference_pp": Key(float, -100.0, 0.0, True, "from -100 to below 0 (pp)"),
    "max_auc_drop": Key(float, 0.0, 1.0, False, "from 0 to 1"),
    "min_agreement": Key(float, 0.0, 1.0, True, "from 0 to below 1"),
    "confidence": Key(float, 0.5, 1.0, True, "from 0.5 to below 1"),
    "resamples": Key(int, 200, 100_000, False, "from 200 to 100000"),
    "seed": Key(int, 0, None, False, "0 or more"),
    "min_positive_clusters": Key(int, 1, None, False, "a count at or above the policy's own minimum", True),
    "min_negative_clusters": Key(int, 1, None, False, "a count at or above the policy's own minimum", True),
    "min_reference_sensitivity": Key(float, 0.0, 1.0, True, "from 0 to below 1", True),
    "min_reference_specificity": Key(float, 0.0, 1.0, True, "from 0 to below 1", True),
    "min_site_sensitivity_difference_pp": Key(float, -100.0, 0.0, True, "from -100 to below 0 (pp)", True),
    "min_site_specificity_difference_pp": Key(float, -100.0, 0.0, True, "from -100 to below 0 (pp)", True),
    "min_band_sensitivity_difference_pp": Key(float, -100.0, 0.0, True, "from -100 to below 0 (pp)", True),
}


@dataclass(frozen=True)
class Policy:
    min_sensitivity_difference_pp: float = -2.0
    min_specificity_difference_pp: float = -2.0
    max_auc_drop: float = 0.01
    min_agreement: float = 0.98
    confidence: float = 0.95
    resamples: int = 2000
    seed: int = 0
    min_positive_clusters: int | None = None  # None: what a zero-flip set needs at this policy
    min_negative_clusters: int | None = None
    min_reference_sensitivity: float | None = None  # floors on the reference's own rates (None: none)
    min_reference_specificity: float | None = None
    min_site_sensitivity_difference_pp: float | None = None  # per-site / per-severity-band gates (None: off)
    min_site_specificity_difference_pp: float | None = None
    min_band_sensitivity_difference_pp: float | None = None

    def minimums(self) -> dict[str, int]:
        """The cluster counts a zero-flip set needs to pass (the floors of the effective policy)."""
        return {"positive_clusters": zero_flip_minimum(self.min_sensitivity_difference_pp, self.confidence),
                "negative_clusters": zero_flip_minimum(self.min_specificity_difference_pp, self.confidence),
                "cases": agreement_minimum(self.min_agreement, self.confidence)}

    def effective(self) -> Policy:
        """Every key with its value: the cluster minimums filled in where the file left them out."""
        floor = self.minimums()
        return replace(self, min_positive_clusters=self.min_positive_clusters or floor["positive_clusters"],
                       min_negative_clusters=self.min_negative_clusters or floor["negative_clusters"])

    def to_dict(self) -> dict:
        return asdict(self.effective())

    def sha256(self) -> str:
        """SHA-256 of the effective policy as canonical JSON (sorted keys, no spaces)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_policy(path: str | Path | None) -> Policy:
    if path is None:
        return Policy()
    p = Path(path)
    data = read_document(p, "policy file", "a TOML policy file",
                         "check --policy (keys: docs/qa.md) or leave it out for the defaults",
                         "fix its syntax (see docs/qa.md)", fmt="toml")
    return policy_from_dict(data, str(p))


def _bad(source: str, key: str, value, expected: str) -> CleftEdgeError:
    return CleftEdgeError(f"{source}: '{key}' is {value!r}", expected, "fix the policy file (see docs/qa.md)")


def policy_from_dict(data: dict, source: str = "policy") -> Policy:
    """A checked Policy from a policy file's table; unknown keys and out-of-range values refused."""
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise CleftEdgeError(f"{source}: unknown key '{unknown[0]}'", "only: " + ", ".join(KEYS),
                             "remove or rename it (see docs/qa.md)")
    values = {}
    for key, value in data.items():
        rule = KEYS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (rule.kind is int and not isinstance(value, int)) or not math.isfinite(value):
            raise _bad(source, key, value, f"a finite {rule.kind.__name__}")
        value = rule.kind(value)
        too_high = rule.high is not None and (value >= rule.high if rule.high_open else value > rule.high)
        if (rule.low is not None and value < rule.low) or too_high:
            raise _bad(source, key, value, rule.expected)
        values[key] = value
    policy = Policy(**values)
    floor = policy.minimums()
    for key, name in (("min_positive_clusters", "positive_clusters"), ("min_negative_clusters", "negative_clusters")):
        given = getattr(policy, key)
        if given is not None and given < floor[name]:
            raise CleftEdgeError(f"{source}: '{key}' is {given}, below the {floor[name]} {name.replace('_', ' ')} "
                                 "a set without a single flip needs to pass this policy",
                                 f"{floor[name]} or more (or leave it out)",
                                 "a set that small cannot show non-inferiority; see 'cleftedge qa-plan'")
    return policy


def policy_keys() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Policy))

