"""Data-set labels and the label map that turns them into the binary cleft task."""

from __future__ import annotations

LABELS = ("normal", "unilateral_left", "unilateral_right", "bilateral", "off_plane")
POSITIVE_LABELS = ("unilateral_left", "unilateral_right", "bilateral")
CLEFT_KINDS = ("none", "unilateral", "bilateral")
SUBTLE_SEVERITY = 0.35  # a cleft with severity below this is "subtle"


def is_positive(label: str) -> bool:
    """Cleft vs no cleft. Off-plane frames (lip not in view) count as no cleft."""
    return label in POSITIVE_LABELS


def label_map() -> dict:
    """The label map stored with every data set as labels.json."""
    return {
        "task": "cleft vs no cleft",
        "labels": list(LABELS),
        "positive": list(POSITIVE_LABELS),
        "negative": [label for label in LABELS if label not in POSITIVE_LABELS],
        "off_plane": "negative: the upper lip is not in view, so no cleft can be seen",
        "severity": "0 for no cleft; else (0, 1], the cleft's width from subtle (small) to obvious (1); "
                    f"subtle means severity < {SUBTLE_SEVERITY}",
    }
