"""Threshold re-tuning: on the validation set (never on the locked QA set), find the candidate's
threshold that restores the reference's sensitivity at its own operating threshold. The QA set then
judges the candidate at that threshold, beside the fixed-threshold result; the threshold is written
as a spec patch that a bundle build can take."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from cleftedge.atomic import write_text
from cleftedge.calibration.qa.paired import decide

PATCH_NAME = "spec-patch.toml"


def _rates(positive: np.ndarray, flagged: np.ndarray) -> dict:
    p, n = int(positive.sum()), int((~positive).sum())
    return {"sensitivity": float((positive & flagged).sum() / p) if p else None,
            "specificity": float((~positive & ~flagged).sum() / n) if n else None}


def retune_threshold(positive: ArrayLike, ref_scores: ArrayLike, cand_scores: ArrayLike,
                     ref_threshold: float) -> dict:
    """The highest candidate threshold whose sensitivity on these frames is at least the reference's.

    The highest such threshold keeps specificity as high as it can be. It is placed halfway between
    the lowest positive score it must keep and the next score below it, so that a tiny score change
    on the cart does not move a frame across it.
    """
    pos = np.asarray(positive, bool)
    ref = np.asarray(ref_scores, np.float64)
    cand = np.asarray(cand_scores, np.float64)
    target = _rates(pos, decide(ref, ref_threshold))["sensitivity"]
    out = {"reference_threshold": float(ref_threshold), "target_sensitivity": target,
           "frames": int(pos.size), "positives": int(pos.sum())}
    if target is None:  # no positive frame: nothing to restore
        out.update(threshold=float(ref_threshold), changed=False, reason="no positive frames in the validation set")
        return out
    need = int(np.ceil(target * pos.sum() - 1e-9))  # positive frames that must stay flagged
    if need == 0:
        out.update(threshold=float(ref_threshold), changed=False, reason="the reference flags no positive frame")
        return out
    kept = np.sort(cand[pos])[::-1][need - 1]
    below = cand[cand < kept]
    threshold = float((kept + below.max()) / 2.0) if below.size else float(kept)
    out.update(threshold=threshold, changed=threshold != ref_threshold, reason="restores the reference sensitivity")
    out["validation"] = {"reference": _rates(pos, decide(ref, ref_threshold)),
                         "candidate_fixed": _rates(pos, decide(cand, ref_threshold)),
                         "candidate_retuned": _rates(pos, decide(cand, threshold))}
    return out


def write_spec_patch(path: str | Path, threshold: float, note: str) -> None:
    """A TOML fragment in the spec's own keys: [output] threshold."""
    text = (f"# cleftedge spec patch, written by 'cleftedge qa --retune-threshold'\n# {note}\n"
            f"[output]\nthreshold = {float(threshold)!r}\n")
    write_text(path, text)
