"""Near-duplicate frames are one piece of evidence, not several: frames whose input tensors lie
within Hamming distance 6 of each other (phash.py) are chained transitively, and every case (or
case-less frame) in a chain becomes one cluster for the intervals. Copies across roles (the QA set
against the calibration subset and the validation set) are reported."""

from __future__ import annotations

import numpy as np

from cleftedge.calibration.qa.phash import MAX_DISTANCE, UnionFind, cross_pairs, near_pairs

EXAMPLES = 10


def _codes(case_ids: list) -> tuple[np.ndarray, list[str | None]]:
    """A cluster index per frame (a case, or the frame alone) and each cluster's case id."""
    codes = np.empty(len(case_ids), dtype=np.int64)
    seen: dict = {}
    labels: list[str | None] = []
    for i, c in enumerate(case_ids):
        key = ("case", c) if c not in (None, "") else ("frame", i)
        if key not in seen:
            seen[key] = len(seen)
            labels.append(c if c not in (None, "") else None)
        codes[i] = seen[key]
    return codes, labels


def merge(keys: list[str], case_ids: list, hashes: np.ndarray) -> tuple[list, dict]:
    """(cluster label per frame, what was found). Frames in no chain keep their case id (None for a
    frame without one); frames of a chain across clusters get the chain's label."""
    codes, labels = _codes(case_ids)
    pairs = near_pairs(hashes) if len(keys) > 1 else np.zeros((0, 2), np.int64)
    across = pairs[codes[pairs[:, 0]] != codes[pairs[:, 1]]] if pairs.size else pairs
    uf = UnionFind(len(labels))
    for i, j in across:
        uf.union(int(codes[i]), int(codes[j]))
    roots = np.array([uf.find(int(c)) for c in range(len(labels))], dtype=np.int64)
    size = np.bincount(roots, minlength=len(labels))
    merged_roots = np.flatnonzero(size > 1)
    chain_label = {int(r): f"near-duplicates#{int(r)}" for r in merged_roots}
    clusters = [chain_label.get(int(roots[c]), labels[c]) for c in codes]
    found = {"max_distance": MAX_DISTANCE, "pairs": int(len(pairs)), "pairs_across_clusters": int(len(across)),
             "chains": int(merged_roots.size), "clusters_merged": int(size[merged_roots].sum()),
             "clusters_before": len(labels), "clusters_after": int(np.unique(roots).size),
             "examples": [[keys[int(i)], keys[int(j)]] for i, j in across[:EXAMPLES]]}
    return clusters, found


def across_roles(qa_keys: list[str], qa_hashes: np.ndarray, other_hashes: np.ndarray, role: str,
                 other_keys: list[str] | None = None) -> dict:
    """QA frames within distance 6 of a frame of another role (reported, not refused: byte-identical
    files across roles are refused by the role check)."""
    pairs = cross_pairs(qa_hashes, other_hashes)
    qa_frames = sorted({int(i) for i in pairs[:, 0]})
    return {"role": role, "compared": int(np.asarray(other_hashes).size), "pairs": int(len(pairs)),
            "qa_frames": len(qa_frames),
            "examples": [[qa_keys[int(i)], other_keys[int(j)] if other_keys else f"#{int(j)}"]
                         for i, j in pairs[:EXAMPLES]]}
