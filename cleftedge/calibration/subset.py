"""The calibration subset: stratified by label (and by site where the set has sites), spread over
cases (or over files, for frames of one video or cine without a case id), seeded. Each stratum gets
its share by largest remainder, so the subset has exactly `size` frames (or the whole set when it is
smaller). The keys used are recorded with the calibrated model."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from cleftedge.calibration.dataset_records import Dataset, Record

DEFAULT_SIZE = 300


def allocate(counts: list[int], size: int) -> list[int]:
    """Largest-remainder shares of `size` in proportion to `counts`, each at most its count and, where
    size allows, at least 1 (a rare label still gets a frame)."""
    total = sum(counts)
    exact = [size * c / total for c in counts]
    share = [min(c, max(1 if size >= len(counts) else 0, int(e))) for c, e in zip(counts, exact, strict=True)]
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    while sum(share) < size:
        grew = False
        for i in order:
            if sum(share) < size and share[i] < counts[i]:
                share[i] += 1
                grew = True
        if not grew:
            break
    while sum(share) > size:  # the floor of 1 overshot: take back where it is most over its share
        i = max((j for j in range(len(share)) if share[j] > 1), key=lambda j: (share[j] - exact[j], share[j]))
        share[i] -= 1
    return share


def stratified_subset(dataset: Dataset, size: int = DEFAULT_SIZE, seed: int = 0) -> list[Record]:
    """Exactly min(size, len(dataset)) records; every (label, site) stratum in proportion."""
    rng = np.random.default_rng(seed)
    records = dataset.records
    if size >= len(records):
        return [records[i] for i in rng.permutation(len(records))]
    strata: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        strata[(r.label, r.site or "")].append(r)
    keys = sorted(strata)
    shares = allocate([len(strata[k]) for k in keys], size)
    chosen: list[Record] = []
    for key, want in zip(keys, shares, strict=True):
        chosen.extend(_spread_over_cases(strata[key], want, rng))
    return [chosen[i] for i in rng.permutation(len(chosen))]


def _spread_over_cases(group: list[Record], want: int, rng) -> list[Record]:
    """Round-robin over cases in a random order so that one case with many frames cannot dominate."""
    by_case: dict[str, list[Record]] = defaultdict(list)
    for r in group:
        by_case[r.case_id or str(r.file)].append(r)
    cases = [by_case[k] for k in sorted(by_case)]
    queues = [list(rng.permutation(len(c))) for c in cases]
    out: list[Record] = []
    while len(out) < want:
        for c in rng.permutation(len(cases)):
            if queues[c] and len(out) < want:
                out.append(cases[c][queues[c].pop()])
    return out
