"""Operating-point metrics for the reference model (numpy only)."""

from __future__ import annotations

import numpy as np

from cleftedge.simulator.labels import SUBTLE_SEVERITY


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, float)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order), float)
    allv = np.concatenate([pos, neg])[order]
    # average ranks for ties
    _, first, counts = np.unique(allv, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def operating_point(y: np.ndarray, s: np.ndarray, threshold: float) -> dict:
    y = np.asarray(y).astype(bool)
    flag = np.asarray(s) >= threshold
    tp, fn = int((flag & y).sum()), int((~flag & y).sum())
    tn, fp = int((~flag & ~y).sum()), int((flag & ~y).sum())
    return {"frames": int(len(y)), "positives": tp + fn, "negatives": tn + fp,
            "sensitivity": tp / max(tp + fn, 1), "specificity": tn / max(tn + fp, 1),
            "auc": auc(y, s), "threshold": float(threshold)}


def choose_threshold(y: np.ndarray, s: np.ndarray, min_sensitivity: float = 0.955) -> float:
    """The highest threshold that keeps validation sensitivity at min_sensitivity (a margin above the
    93 % target), which gives the best specificity at that sensitivity."""
    y = np.asarray(y).astype(bool)
    pos = np.sort(np.asarray(s)[y])
    k = int(np.floor((1.0 - min_sensitivity) * len(pos)))
    return float(pos[k]) if len(pos) else 0.5


def report(y, s, severity, labels, threshold: float) -> dict:
    y = np.asarray(y).astype(bool)
    severity = np.asarray(severity)
    out = {"all": operating_point(y, s, threshold)}
    subtle = (~y) | (severity < SUBTLE_SEVERITY)  # subtle clefts against all negatives
    out["subtle"] = operating_point(y[subtle], np.asarray(s)[subtle], threshold)
    labels = np.asarray(labels)
    out["per_label_flag_rate"] = {str(lab): float((np.asarray(s)[labels == lab] >= threshold).mean())
                                  for lab in sorted(set(labels.tolist()))}
    return out
