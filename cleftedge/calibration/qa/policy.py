"""The QA policy: what a candidate must show to pass, and how each criterion is judged.

Every criterion is judged on the conservative end of its 95 % interval, never on the point
estimate (non-inferiority on the confidence bound):
- sensitivity / specificity: the LOWER bound of the paired difference (candidate - reference), in
  percentage points, must be >= the limit (default -2.0);
- AUC drop: the UPPER bound of (reference AUC - candidate AUC) must be <= the limit (default 0.01);
- decision agreement: the LOWER bound of the share of frames with the same decision must be >= the
  limit (default 0.98).
A bound exactly on the limit passes (differences below 1e-9 count as equal, so that -2.0 pp
computed as -2.0000000000000004 still passes). An undefined bound (no positive or no negative
frames in the set) fails: nothing was shown.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from cleftedge.calibration.qa.paired import PairedFigures
from cleftedge.documents import read_document
from cleftedge.errors import CleftEdgeError

EPS = 1e-9


@dataclass(frozen=True)
class Policy:
    min_sensitivity_difference_pp: float = -2.0
    min_specificity_difference_pp: float = -2.0
    max_auc_drop: float = 0.01
    min_agreement: float = 0.98
    confidence: float = 0.95
    resamples: int = 2000
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Criterion:
    name: str
    rule: str  # how it is judged, in words
    bound: float | None  # the conservative confidence bound that was judged
    estimate: float | None  # the point estimate, for the reader
    limit: float
    passed: bool

    def line(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        shown = "undefined" if self.bound is None else f"{self.bound + 0.0:.4g}"  # + 0.0: no "-0"
        return f"{self.name} {verdict}: {self.rule} = {shown}, limit {self.limit:g}"

    def to_dict(self) -> dict:
        return {**asdict(self), "line": self.line()}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    criteria: tuple[Criterion, ...]

    @property
    def failed(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.passed]

    def reasons(self) -> list[str]:
        return [c.line() for c in (self.failed or self.criteria)]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "result": "pass" if self.passed else "fail",
                "reasons": self.reasons(), "criteria": [c.to_dict() for c in self.criteria]}


def load_policy(path: str | Path | None) -> Policy:
    if path is None:
        return Policy()
    p = Path(path)
    data = read_document(p, "policy file", "a TOML policy file",
                         "check --policy (keys: docs/qa.md) or leave it out for the defaults",
                         "fix its syntax (see docs/qa.md)", fmt="toml")
    return policy_from_dict(data, str(p))


def policy_from_dict(data: dict, source: str = "policy") -> Policy:
    known = {f.name: f for f in fields(Policy)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise CleftEdgeError(f"{source}: unknown key '{unknown[0]}'", "only: " + ", ".join(known),
                             "remove or rename it (see docs/qa.md)")
    values = {}
    for key, value in data.items():
        want = int if known[key].type in ("int", int) else float
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (want is int and not isinstance(value, int)) or not math.isfinite(value):
            raise CleftEdgeError(f"{source}: '{key}' is {value!r}", f"a finite {want.__name__}",
                                 "fix the policy file (see docs/qa.md)")
        values[key] = want(value)
    policy = Policy(**values)
    _check_ranges(policy, source)
    return policy


def _check_ranges(p: Policy, source: str) -> None:
    checks = [
        ("min_sensitivity_difference_pp", -100.0 <= p.min_sensitivity_difference_pp <= 0.0, "from -100 to 0"),
        ("min_specificity_difference_pp", -100.0 <= p.min_specificity_difference_pp <= 0.0, "from -100 to 0"),
        ("max_auc_drop", 0.0 <= p.max_auc_drop <= 1.0, "from 0 to 1"),
        ("min_agreement", 0.0 <= p.min_agreement <= 1.0, "from 0 to 1"),
        ("confidence", 0.5 <= p.confidence < 1.0, "from 0.5 to below 1"),
        ("resamples", 200 <= p.resamples <= 100_000, "from 200 to 100000"),
        ("seed", p.seed >= 0, "0 or more"),
    ]
    for key, ok, expected in checks:
        if not ok:
            raise CleftEdgeError(f"{source}: '{key}' is {getattr(p, key)!r}", expected,
                                 "fix the policy file (see docs/qa.md)")


def judge(fig: PairedFigures, policy: Policy) -> Verdict:
    pct = f"{policy.confidence * 100:g} %"
    crit = []
    for figure in ("sensitivity", "specificity"):
        d = fig.diff.get(figure)
        limit = getattr(policy, f"min_{figure}_difference_pp")
        bound = None if d is None or d.low is None else d.low * 100.0
        est = None if d is None or d.value is None else d.value * 100.0
        crit.append(Criterion(figure, f"lower {pct} bound of the {figure} difference (candidate - reference, pp)",
                              bound, est, limit, bound is not None and bound >= limit - EPS))
    drop = fig.auc_drop
    bound = None if drop is None else drop.high
    crit.append(Criterion("auc", f"upper {pct} bound of the AUC drop (reference - candidate)", bound,
                          None if drop is None else drop.value, policy.max_auc_drop,
                          bound is not None and bound <= policy.max_auc_drop + EPS))
    agree = fig.agreement
    bound = None if agree is None else agree.low
    crit.append(Criterion("agreement", f"lower {pct} bound of the decision agreement", bound,
                          None if agree is None else agree.value, policy.min_agreement,
                          bound is not None and bound >= policy.min_agreement - EPS))
    return Verdict(all(c.passed for c in crit), tuple(crit))
