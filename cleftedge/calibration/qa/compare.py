"""Where reference and candidate part ways: decision flips, score differences, and the paired
figures per site, per data-set label (with severity bands) and per case."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleftedge.calibration.qa.paired import PairedFigures, decide, paired_figures
from cleftedge.calibration.qa.policy import Policy

# Severity bands of the data-set convention (cleftedge.simulator.labels: subtle below 0.35).
SEVERITY_BANDS = (("subtle", 0.0, 0.35), ("moderate", 0.35, 0.7), ("obvious", 0.7, 1.0 + 1e-9))


@dataclass
class ScoredSet:
    """Everything QA keeps per frame (no images): small enough for any data-set size."""
    keys: list[str]
    labels: list[str]
    positive: np.ndarray  # bool
    case_ids: list  # str or None per frame
    sites: list  # str or None per frame
    severity: np.ndarray  # float, NaN when unknown
    ref: np.ndarray  # reference scores
    cand: np.ndarray  # candidate scores
    clusters: list | None = None  # cluster label per frame (cases merged with near-duplicates); None: case_ids

    @property
    def has_cases(self) -> bool:
        """Whether any frame names its case."""
        return any(c not in (None, "") for c in self.case_ids)

    @property
    def has_sites(self) -> bool:
        """Whether any frame names its site."""
        return any(s not in (None, "") for s in self.sites)

    def case_list(self) -> list | None:
        """The case ids, or None when no frame names one (every frame is then a cluster of its own)."""
        return self.case_ids if self.has_cases else None

    def cluster_list(self) -> list | None:
        """What the intervals cluster on: the merged clusters when known, else the case ids."""
        if self.clusters is not None:
            return self.clusters
        return self.case_list()

    def subset(self, mask: np.ndarray) -> ScoredSet:
        """The frames where `mask` is set, as a ScoredSet of their own."""
        idx = np.flatnonzero(mask)
        return ScoredSet([self.keys[i] for i in idx], [self.labels[i] for i in idx], self.positive[idx],
                         [self.case_ids[i] for i in idx], [self.sites[i] for i in idx], self.severity[idx],
                         self.ref[idx], self.cand[idx],
                         None if self.clusters is None else [self.clusters[i] for i in idx])


def figures(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy, with_auc: bool = True) -> PairedFigures:
    """Both models' paired figures on `data` at the two thresholds, drawn with the policy's bootstrap."""
    return paired_figures(data.positive, data.ref, data.cand, ref_t, cand_t, data.cluster_list(), policy, with_auc)


def flips(data: ScoredSet, ref_t: float, cand_t: float) -> list[dict]:
    """Frames whose decision differs, largest score change first."""
    rf, cf = decide(data.ref, ref_t), decide(data.cand, cand_t)
    idx = np.flatnonzero(rf != cf)
    idx = idx[np.argsort(-np.abs(data.cand[idx] - data.ref[idx]), kind="stable")]
    return [{"key": data.keys[i], "label": data.labels[i], "positive": bool(data.positive[i]),
             "case_id": data.case_ids[i], "site": data.sites[i],
             "reference_score": float(data.ref[i]), "candidate_score": float(data.cand[i]),
             "change": "candidate misses" if rf[i] else "candidate adds"} for i in idx]


def score_differences(ref: np.ndarray, cand: np.ndarray) -> dict:
    """Candidate - reference score per frame, summarised: mean, mean absolute, 99th percentile and maximum
    absolute difference (None each for no frames)."""
    d = np.asarray(cand, np.float64) - np.asarray(ref, np.float64)
    if d.size == 0:
        return {"mean": None, "mean_abs": None, "p99_abs": None, "max_abs": None}
    a = np.abs(d)
    return {"mean": float(d.mean()), "mean_abs": float(a.mean()), "p99_abs": float(np.percentile(a, 99)),
            "max_abs": float(a.max())}


def flip_summary(data: ScoredSet, ref_t: float, cand_t: float) -> dict:
    """How many frames change their decision between the models, and in which direction."""
    rf, cf = decide(data.ref, ref_t), decide(data.cand, cand_t)
    n = int(rf.size)
    count = int(np.sum(rf != cf))
    return {"count": count, "rate": count / n if n else None, "candidate_misses": int(np.sum(rf & ~cf)),
            "candidate_adds": int(np.sum(~rf & cf))}


def label_groups(data: ScoredSet) -> dict[str, np.ndarray]:
    """One group per label and 'unilateral' (left and right together)."""
    labels = np.asarray(data.labels, dtype=object)
    groups: dict[str, np.ndarray] = {}
    for name in sorted(set(data.labels)):
        groups[name] = labels == name
    uni = np.array([str(x).startswith("unilateral") for x in labels], dtype=bool)
    if uni.any() and len({x for x in data.labels if str(x).startswith("unilateral")}) > 1:
        groups["unilateral"] = uni
    return groups


def band_groups(data: ScoredSet) -> dict[str, np.ndarray]:
    """The severity bands of clefts (subtle, moderate, obvious), by the frames' severity."""
    groups: dict[str, np.ndarray] = {}
    sev = data.severity
    for band, lo, hi in SEVERITY_BANDS:
        mask = data.positive & (sev > 0) & (sev >= lo) & (sev < hi)
        if mask.any():
            groups[f"severity {band} [{lo:g}, {min(hi, 1.0):g}{']' if hi > 1 else ')'}"] = mask
    return groups


def site_groups(data: ScoredSet) -> dict[str, np.ndarray]:
    """Site name -> mask of its frames ("(no site)" for frames without one); empty when no frame names a site."""
    if not data.has_sites:
        return {}
    sites = np.asarray([s if s not in (None, "") else "(no site)" for s in data.sites], dtype=object)
    return {str(s): sites == s for s in sorted(set(sites.tolist()))}


def group_figures(data: ScoredSet, groups: dict[str, np.ndarray], ref_t: float, cand_t: float,
                  policy: Policy) -> dict[str, tuple[ScoredSet, PairedFigures]]:
    """Each group's frames and its paired figures (the same intervals as the whole set)."""
    out = {}
    for name, mask in groups.items():
        part = data.subset(mask)
        out[name] = (part, figures(part, ref_t, cand_t, policy))
    return out


def group_rows(found: dict[str, tuple[ScoredSet, PairedFigures]], ref_t: float, cand_t: float) -> list[dict]:
    """One table row per group: its paired figures, flips and score differences."""
    return [{"group": name, **fig.to_dict(), "flips": flip_summary(part, ref_t, cand_t),
             "score_difference": score_differences(part.ref, part.cand)} for name, (part, fig) in found.items()]


def group_table(data: ScoredSet, groups: dict[str, np.ndarray], ref_t: float, cand_t: float,
                policy: Policy) -> list[dict]:
    """The rows of a per-group table (sites, labels, severity bands) for the given group masks."""
    return group_rows(group_figures(data, groups, ref_t, cand_t, policy), ref_t, cand_t)


def case_level(data: ScoredSet) -> ScoredSet | None:
    """One row per case: positive when any frame is, scored by its highest frame score, so that a
    case is flagged exactly when any of its frames is."""
    if not data.has_cases:
        return None
    codes: dict = {}
    for c in data.case_ids:
        codes.setdefault(c, len(codes))
    idx = np.array([codes[c] for c in data.case_ids])
    k = len(codes)
    pos = np.zeros(k, bool)
    np.logical_or.at(pos, idx, data.positive)
    ref = np.full(k, -np.inf)
    cand = np.full(k, -np.inf)
    np.maximum.at(ref, idx, data.ref)
    np.maximum.at(cand, idx, data.cand)
    names = [str(c) for c in codes]
    labels = ["cleft case" if p else "no-cleft case" for p in pos]
    return ScoredSet(names, labels, pos, [None] * k, [None] * k, np.full(k, np.nan), ref, cand)


def case_summary(data: ScoredSet, ref_t: float, cand_t: float, policy: Policy) -> dict | None:
    """The figures on case level (a case is flagged when any of its frames is), None without case ids."""
    cases = case_level(data)
    if cases is None:
        return None
    fig = figures(cases, ref_t, cand_t, policy)
    return {**fig.to_dict(), "flips": flip_summary(cases, ref_t, cand_t),
            "score_difference": score_differences(cases.ref, cases.cand),
            "flipped_cases": flips(cases, ref_t, cand_t)}
