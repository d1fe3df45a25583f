"""The calibration subset: stratified by label (and by site and case where the set has them), seeded.
The keys used are recorded with the calibrated model."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from cleftedge.calibration.datasets import Dataset, Record

DEFAULT_SIZE = 300


def stratified_subset(dataset: Dataset, size: int = DEFAULT_SIZE, seed: int = 0) -> list[Record]:
    """About `size` records, each stratum (label, site) in proportion, spread across cases."""
    rng = np.random.default_rng(seed)
    records = dataset.records
    if size >= len(records):
        return list(records)
    strata: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        strata[(r.label, r.site)].append(r)
    chosen: list[Record] = []
    for key in sorted(strata, key=str):
        group = strata[key]
        want = max(1, round(size * len(group) / len(records)))
        chosen.extend(_spread_over_cases(group, want, rng))
    if len(chosen) < size:  # rounding left a few short: top up from what is left, at random
        taken = {r.key for r in chosen}
        rest = [r for r in records if r.key not in taken]
        chosen.extend(rest[i] for i in rng.permutation(len(rest))[: size - len(chosen)])
    order = rng.permutation(len(chosen))
    return [chosen[i] for i in order][:size]


def _spread_over_cases(group: list[Record], want: int, rng) -> list[Record]:
    """Round-robin over cases so that one case with many frames cannot dominate."""
    by_case: dict[str, list[Record]] = defaultdict(list)
    for r in group:
        by_case[r.case_id or r.key].append(r)
    queues = [list(rng.permutation(len(v))) for v in by_case.values()]
    cases = list(by_case.values())
    case_order = rng.permutation(len(cases))
    out: list[Record] = []
    while len(out) < want and any(queues):
        for c in case_order:
            if queues[c] and len(out) < want:
                out.append(cases[c][queues[c].pop()])
    return out
