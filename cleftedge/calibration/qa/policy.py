"""The QA policy: its keys (one table) and how a file of them is read and checked.

Every criterion is judged on the conservative end of its two-sided interval (a one-sided 97.5 %
non-inferiority test at the default 95 %; the criteria are an intersection, so no multiplicity
adjustment), and the interval is the more conservative of an analytic one that respects the
clustering (evidence.py) and the case-clustered bootstrap (verdict.py). Below the minimum number of
positive and negative clusters the verdict is INCONCLUSIVE, never PASS (minimums.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from cleftedge.calibration.qa.minimums import agreement_minimum, zero_flip_minimum
from cleftedge.config_fields import ConfigFile, Field, read_table
from cleftedge.documents import read_document
from cleftedge.errors import CleftEdgeError

_PP = "a number from -100 to below 0 (pp)"
_RATE = "a number from 0 to below 1"
_COUNT = "an integer count at or above the policy's own minimum"
# One row per policy key (its default is Policy's; a None default means not gated).
POLICY_FIELDS: tuple[Field, ...] = (
    Field("min_sensitivity_difference_pp", float, low=-100.0, high=0.0, high_open=True, expected=_PP),
    Field("min_specificity_difference_pp", float, low=-100.0, high=0.0, high_open=True, expected=_PP),
    Field("max_auc_drop", float, low=0.0, high=1.0, expected="a number from 0 to 1"),
    Field("min_agreement", float, low=0.0, high=1.0, high_open=True, expected=_RATE),
    Field("confidence", float, low=0.5, high=1.0, high_open=True, expected="a number from 0.5 to below 1"),
    Field("resamples", int, low=200, high=100_000, expected="an integer from 200 to 100000"),
    Field("seed", int, low=0, expected="an integer, 0 or more"),
    Field("min_positive_clusters", int, low=1, expected=_COUNT),
    Field("min_negative_clusters", int, low=1, expected=_COUNT),
    Field("min_reference_sensitivity", float, low=0.0, high=1.0, high_open=True, expected=_RATE),
    Field("min_reference_specificity", float, low=0.0, high=1.0, high_open=True, expected=_RATE),
    Field("min_site_sensitivity_difference_pp", float, low=-100.0, high=0.0, high_open=True, expected=_PP),
    Field("min_site_specificity_difference_pp", float, low=-100.0, high=0.0, high_open=True, expected=_PP),
    Field("min_band_sensitivity_difference_pp", float, low=-100.0, high=0.0, high_open=True, expected=_PP),
)


@dataclass(frozen=True)
class Policy:
    """The QA policy's limits and settings (keys: POLICY_FIELDS, docs/qa.md); None leaves a gate off."""

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

    def to_dict(self) -> dict[str, Any]:
        """The effective policy as a plain dict (what report.json and the policy hash hold)."""
        return asdict(self.effective())

    def sha256(self) -> str:
        """SHA-256 of the effective policy as canonical JSON (sorted keys, no spaces)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_policy(path: str | Path | None) -> Policy:
    """The checked policy of a TOML file; the defaults when `path` is None."""
    if path is None:
        return Policy()
    p = Path(path)
    data = read_document(p, "policy file", "a TOML policy file",
                         "check --policy (keys: docs/qa.md) or leave it out for the defaults",
                         "fix its syntax (see docs/qa.md)", fmt="toml")
    return policy_from_dict(data, str(p))


def policy_from_dict(data: dict[str, Any], source: str = "policy") -> Policy:
    """A checked Policy from a policy file's table; unknown keys and out-of-range values refused."""
    where = ConfigFile(source, "fix the policy file (see docs/qa.md)", "docs/qa.md")
    policy = Policy(**read_table(POLICY_FIELDS, data, where))
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
    """The names of the policy's keys, in Policy's order."""
    return tuple(f.name for f in fields(Policy))

