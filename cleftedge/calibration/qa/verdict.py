"""The verdict: each criterion judged on the more conservative of its analytic interval (evidence.py)
and its case-clustered bootstrap interval, the minimum number of clusters, the gated subgroups.

PASS: every criterion met on a set large enough to show it. FAIL: a criterion not met on a set
large enough, or one shown worse outright (even its favourable end beyond the limit). INCONCLUSIVE:
the set (or a gated site or severity band) is smaller than a zero-flip set needs to pass: nothing
was shown either way. Only PASS exits 0.

Works on plain arrays (`judge_arrays`) as well as on the QA run's figures, so other gates (the
calibration presets) judge with the very same rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from cleftedge.calibration.qa.minimums import zero_flip_minimum
from cleftedge.calibration.qa.paired import PairedFigures, paired_figures
from cleftedge.calibration.qa.policy import Policy
from cleftedge.calibration.qa.units import figure_text

if TYPE_CHECKING:
    import numpy as np

    from cleftedge.calibration.qa.stats import Estimate

EPS = 1e-9


@dataclass(frozen=True)
class Rule:
    label: str
    unit: str  # "pp" (limit and bound in percentage points), "%" (fractions shown as %), "" (AUC)
    side: str  # "low": the lower bound must reach the limit; "high": the upper bound must stay below it
    limit_key: str  # the policy key holding the limit
    boot: str  # where the bootstrap estimate is: "diff.sensitivity", "agreement", "auc_drop", ...
    what: str  # the quantity, in words


# criterion name -> how it is judged (the overall criteria; subgroups reuse the difference rows)
RULES: dict[str, Rule] = {
    "sensitivity_difference": Rule("sensitivity difference", "pp", "low", "min_sensitivity_difference_pp",
                                   "diff.sensitivity", "sensitivity, candidate - reference"),
    "specificity_difference": Rule("specificity difference", "pp", "low", "min_specificity_difference_pp",
                                   "diff.specificity", "specificity, candidate - reference"),
    "auc_drop": Rule("AUC drop", "", "high", "max_auc_drop", "auc_drop", "AUC, reference - candidate"),
    "agreement": Rule("decision agreement", "%", "low", "min_agreement", "agreement",
                      "share of frames with the same decision"),
    "reference_sensitivity": Rule("reference sensitivity", "%", "low", "min_reference_sensitivity",
                                  "ref.sensitivity", "the reference's own sensitivity on this set"),
    "reference_specificity": Rule("reference specificity", "%", "low", "min_reference_specificity",
                                  "ref.specificity", "the reference's own specificity on this set"),
}
ALWAYS = ("sensitivity_difference", "specificity_difference", "auc_drop", "agreement")
# subgroup kind -> (policy key, overall rule it reuses, the clusters it needs)
SUBGROUP_GATES = {
    "site": (("min_site_sensitivity_difference_pp", "sensitivity_difference", "positive_clusters"),
             ("min_site_specificity_difference_pp", "specificity_difference", "negative_clusters")),
    "band": (("min_band_sensitivity_difference_pp", "sensitivity_difference", "positive_clusters"),),
}


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    rule: str  # how it is judged, in words
    unit: str
    bound: float | None  # the conservative bound judged, in the limit's unit
    estimate: float | None
    limit: float
    passed: bool
    deciding_interval: str | None  # which interval gave the bound: tango, bootstrap, clopper_pearson, obuchowski
    shown_worse: bool  # even the favourable end of the interval is beyond the limit
    intervals: dict = field(default_factory=dict)  # method -> [low, high], in the limit's unit
    evidence: dict = field(default_factory=dict)  # design effect, effective n, ...

    def line(self) -> str:
        """One line: the criterion, passed or FAILED, its bound against its limit and the deciding interval."""
        verdict = "passed" if self.passed else "FAILED"
        by = f" ({self.deciding_interval})" if self.deciding_interval else ""
        return (f"{self.label} {verdict}: {self.rule} = {figure_text(self.bound, self.unit)}{by}, "
                f"limit {figure_text(self.limit, self.unit)}")

    def to_dict(self) -> dict:
        """As the report stores it, with its `line`."""
        return {**asdict(self), "line": self.line()}


@dataclass(frozen=True)
class Verdict:
    result: str  # "pass" | "fail" | "inconclusive"
    criteria: tuple[Criterion, ...]
    inconclusive: tuple[str, ...] = ()  # why the set cannot show it (too few clusters, a small subgroup)
    evidence: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether the gate passed (inconclusive is not a pass)."""
        return self.result == "pass"

    @property
    def failed(self) -> list[Criterion]:
        """The criteria that did not pass."""
        return [c for c in self.criteria if not c.passed]

    def reasons(self) -> list[str]:
        """Why the verdict is what it is: the failed criteria (or, when inconclusive, what was too small), else all."""
        if self.result == "inconclusive":
            return list(self.inconclusive) + [c.line() for c in self.failed if c.shown_worse]
        return [c.line() for c in (self.failed or self.criteria)]

    def to_dict(self) -> dict:
        """As the report stores it: passed, result, reasons, what was inconclusive, every criterion."""
        return {"passed": self.passed, "result": self.result, "reasons": self.reasons(),
                "inconclusive": list(self.inconclusive), "criteria": [c.to_dict() for c in self.criteria]}


def _bootstrap(fig: PairedFigures, where: str) -> Estimate | None:
    if where == "agreement":
        return fig.agreement
    if where == "auc_drop":
        return fig.auc_drop
    side, name = where.split(".")
    return {"diff": fig.diff, "ref": fig.ref}[side].get(name)


def _criterion(name: str, rule: Rule, fig: PairedFigures, limit: float, confidence: float) -> Criterion:
    scale = 100.0 if rule.unit == "pp" else 1.0
    found: dict[str, tuple[float | None, float | None, float | None]] = {}
    boot = _bootstrap(fig, rule.boot)
    if boot is not None:
        found["bootstrap"] = (boot.low, boot.high, boot.value)
    ana = fig.evidence.get(name)
    if ana is not None:
        found[ana.method] = (ana.low, ana.high, ana.estimate)
    intervals = {m: [None if lo is None else lo * scale, None if hi is None else hi * scale]
                 for m, (lo, hi, _) in found.items()}
    pick = min if rule.side == "low" else max
    ends = {m: v[0] if rule.side == "low" else v[1] for m, v in intervals.items()}
    other = {m: v[1] if rule.side == "low" else v[0] for m, v in intervals.items()}
    undefined = ana is None or any(v is None for v in ends.values())
    bound, deciding = None, None
    if not undefined:
        # ties go to the analytic interval: it is the one that respects the clustering by design
        known = {m: v for m, v in ends.items() if v is not None}  # all of them here
        order = sorted(known, key=lambda m: (known[m] if rule.side == "low" else -known[m], m == "bootstrap"))
        deciding = order[0]
        bound = pick(known.values())
    ok = bound is not None and (bound >= limit - EPS if rule.side == "low" else bound <= limit + EPS)
    favourable = [v for v in other.values() if v is not None]
    worse = bool(favourable) and not undefined and (
        max(favourable) < limit - EPS if rule.side == "low" else min(favourable) > limit + EPS)
    estimate = ana.estimate if ana is not None else (boot.value if boot is not None else None)
    pct = f"{confidence * 100:g} %"
    evidence = {"design_effect": None, "effective_n": None}
    if ana is not None:
        d = ana.to_dict()
        evidence = {"design_effect": d.get("design_effect"), "effective_n": d.get("effective_n"),
                    **{k: v for k, v in d.items() if k not in ("low", "high", "estimate")}}
    return Criterion(name, rule.label, f"{'lower' if rule.side == 'low' else 'upper'} {pct} bound of the "
                     f"{rule.what}", rule.unit, bound, None if estimate is None else estimate * scale, limit, ok,
                     deciding, worse, intervals, evidence)


def _subgroup_criteria(subgroups: Sequence[tuple[str, str, PairedFigures]],
                       policy: Policy) -> tuple[list[Criterion], list[str]]:
    crit: list[Criterion] = []
    small: list[str] = []
    for kind, name, fig in subgroups:
        for key, base, clusters in SUBGROUP_GATES.get(kind, ()):
            limit = getattr(policy, key)
            if limit is None:
                continue
            rule = RULES[base]
            c = _criterion(base, rule, fig, limit, policy.confidence)
            label = f"{kind} {name}: {rule.label}"
            crit.append(Criterion(f"{kind}[{name}].{base}", label, c.rule, c.unit, c.bound, c.estimate, c.limit,
                                  c.passed, c.deciding_interval, c.shown_worse, c.intervals, c.evidence))
            need = zero_flip_minimum(limit, policy.confidence)
            have = getattr(fig, clusters)
            if have < need:
                small.append(f"{kind} {name} has {have} {clusters.replace('_', ' ')}, fewer than the {need} "
                             f"needed to judge it at {limit:g} pp")
    return crit, small


def judge(fig: PairedFigures, policy: Policy, subgroups: Sequence[tuple[str, str, PairedFigures]] = ()) -> Verdict:
    """The verdict on the overall figures (and on subgroups: (kind, name, PairedFigures) with kind
    "site" or "band", gated when the policy sets their limits)."""
    eff = policy.effective()
    crit = []
    for name, rule in RULES.items():
        limit = getattr(eff, rule.limit_key)
        if limit is None and name not in ALWAYS:
            continue
        crit.append(_criterion(name, rule, fig, limit, eff.confidence))
    sub, small = _subgroup_criteria(subgroups, eff)
    crit.extend(sub)
    minimums = eff.minimums()
    short = []
    for have, need, what in ((fig.positive_clusters, eff.min_positive_clusters, "positive clusters (cases with a "
                              "cleft frame)"),
                             (fig.negative_clusters, eff.min_negative_clusters, "negative clusters (cases with a "
                              "no-cleft frame)"),
                             (fig.clusters, minimums["cases"], "cases")):
        if need is not None and have < need:  # effective() fills every minimum in
            short.append(f"{have} {what}, fewer than the {need} a set without a single flip needs to pass this "
                         "policy")
    inconclusive = tuple(short + small)
    if any(not c.passed and c.shown_worse for c in crit):
        result = "fail"
    elif inconclusive:
        result = "inconclusive"
    elif any(not c.passed for c in crit):
        result = "fail"
    else:
        result = "pass"
    evidence = {"frames": fig.n, "cases": fig.clusters, "positive_clusters": fig.positive_clusters,
                "negative_clusters": fig.negative_clusters, "minimum_positive_clusters": eff.min_positive_clusters,
                "minimum_negative_clusters": eff.min_negative_clusters, "minimum_cases": minimums["cases"],
                "criteria": {c.name: {"design_effect": c.evidence.get("design_effect"),
                                      "effective_n": c.evidence.get("effective_n"),
                                      "deciding_interval": c.deciding_interval, "bound": c.bound,
                                      "limit": c.limit, "unit": c.unit, "passed": c.passed,
                                      "intervals": c.intervals, **{k: v for k, v in c.evidence.items()
                                                                   if k not in ("design_effect", "effective_n")}}
                             for c in crit}}
    return Verdict(result, tuple(crit), inconclusive, evidence)


def judge_arrays(positive: Sequence[bool] | np.ndarray, ref_scores: Sequence[float] | np.ndarray,
                 cand_scores: Sequence[float] | np.ndarray, ref_threshold: float, cand_threshold: float,
                 case_ids: Sequence | None = None,
                 policy: Policy | None = None) -> Verdict:
    """The QA gate's verdict on plain arrays (per-frame labels, both models' scores, case ids)."""
    policy = policy or Policy()
    fig = paired_figures(positive, ref_scores, cand_scores, ref_threshold, cand_threshold, case_ids, policy)
    return judge(fig, policy)
