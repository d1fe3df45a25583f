"""Operating-point metrics for the reference model (numpy only)."""

from __future__ import annotations

import numpy as np

from cleftedge.runtime.scoring import flagged
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
    """Frames, positives, negatives, sensitivity, specificity and AUC of scores `s` against truth `y` at `threshold`."""
    y = np.asarray(y).astype(bool)
    flag = flagged(s, threshold)
    tp, fn = int((flag & y).sum()), int((~flag & y).sum())
    tn, fp = int((~flag & ~y).sum()), int((flag & ~y).sum())
    return {"frames": int(len(y)), "positives": tp + fn, "negatives": tn + fp,
            "sensitivity": tp / max(tp + fn, 1), "specificity": tn / max(tn + fp, 1),
            "auc": auc(y, s), "threshold": float(threshold)}


def choose_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The validation threshold with the best Youden index (sensitivity + specificity - 1); among
    equally good ones, the middle of the widest gap between scores (in logit space), so the operating
    point keeps a margin for quantization error."""
    y = np.asarray(y).astype(bool)
    z = np.log(np.clip(s, 1e-7, 1 - 1e-7) / np.clip(1 - np.asarray(s), 1e-7, 1))
    order = np.argsort(z)
    zs, ys = z[order], y[order]
    n_pos, n_neg = ys.sum(), (~ys).sum()
    # threshold between zs[i-1] and zs[i]: frames i.. are flagged
    tp = n_pos - np.concatenate([[0], np.cumsum(ys)])
    tn = np.concatenate([[0], np.cumsum(~ys)])
    j_index = tp / max(n_pos, 1) + tn / max(n_neg, 1) - 1
    lower = np.concatenate([[zs[0] - 1.0], zs])
    upper = np.concatenate([zs, [zs[-1] + 1.0]])
    gap = upper - lower
    best = np.flatnonzero(np.isclose(j_index, j_index.max()))
    k = best[np.argmax(gap[best])]
    mid = (lower[k] + upper[k]) / 2.0
    return float(1.0 / (1.0 + np.exp(-mid)))


def report(y, s, severity, labels, threshold: float) -> dict:
    """The reference's metrics: the operating point on all frames and on the subtle clefts (severity below
    SUBTLE_SEVERITY, against all negatives), and the share flagged per label."""
    y = np.asarray(y).astype(bool)
    severity = np.asarray(severity)
    out = {"all": operating_point(y, s, threshold)}
    subtle = (~y) | (severity < SUBTLE_SEVERITY)  # subtle clefts against all negatives
    out["subtle"] = operating_point(y[subtle], np.asarray(s)[subtle], threshold)
    labels = np.asarray(labels)
    out["per_label_flag_rate"] = {str(lab): float(flagged(np.asarray(s)[labels == lab], threshold).mean())
                                  for lab in sorted(set(labels.tolist()))}
    return out
