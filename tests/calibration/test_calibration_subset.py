from pathlib import Path

import pytest

from cleftedge.calibration.dataset_records import Dataset, Record
from cleftedge.calibration.subset import allocate, stratified_subset


def fake_set(n_per_case: dict) -> Dataset:
    """Records only (the subset never decodes pixels): {(label, site, case): frames}."""
    records = [Record(f"{case}/{i}", Path(f"/nonexistent/{case}/{i}.png"), None, label, label != "normal", case,
                      site, None)
               for (label, site, case), n in n_per_case.items() for i in range(n)]
    return Dataset(Path("/nonexistent"), records, "manifest")


@pytest.mark.parametrize("counts,size", [([100, 5, 1], 10), ([7, 1, 1, 1], 4), ([50, 50], 100), ([300, 10, 2], 300),
                                         ([3, 3, 3], 2)])
def test_allocation_is_exact_and_bounded(counts, size):
    share = allocate(counts, size)
    assert sum(share) == size and all(0 <= s <= c for s, c in zip(share, counts, strict=True))
    if size >= len(counts):
        assert min(share) >= 1  # a rare label still gets a frame


def test_subset_keeps_label_and_site_proportions_and_spreads_over_cases():
    spec = {}
    for c in range(20):
        spec[("normal", "A" if c % 2 else "B", f"n{c}")] = 30
    for c in range(10):
        spec[("bilateral", "A" if c % 2 else "B", f"b{c}")] = 15
    spec[("bilateral", "C", "huge")] = 300  # one case with many frames
    ds = fake_set(spec)
    sub = stratified_subset(ds, 100, seed=1)
    assert len(sub) == 100 and len({r.key for r in sub}) == 100
    by = lambda f: {k: sum(f(r) == k for r in sub) for k in {f(r) for r in ds.records}}  # noqa: E731
    assert by(lambda r: r.label) == {"normal": 57, "bilateral": 43}
    assert by(lambda r: r.site)["C"] == 29  # 300 of 1050 frames
    normal_cases = {r.case_id for r in sub if r.label == "normal"}
    assert len(normal_cases) == 20  # 57 frames over 20 cases: every case used before any repeats much
    assert [r.key for r in sub] == [r.key for r in stratified_subset(ds, 100, seed=1)]
    assert [r.key for r in sub] != [r.key for r in stratified_subset(ds, 100, seed=2)]


def test_a_set_smaller_than_the_subset_is_used_whole():
    ds = fake_set({("normal", None, "a"): 3, ("bilateral", None, "b"): 2})
    assert sorted(r.key for r in stratified_subset(ds, 300)) == sorted(r.key for r in ds.records)
