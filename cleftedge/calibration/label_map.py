"""The label map: which data-set labels count as a cleft (positive) and which do not.

`labels.json` beside the set (as the simulator writes it) wins: `positive` lists the cleft labels;
`negative` and/or `labels` list the others (all labels). Without one, the defaults below apply. A
label the map does not know is refused: guessing a clinical label's meaning is not our call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cleftedge.calibration.data_store import LOCAL, Store
from cleftedge.errors import CleftEdgeError

DEFAULT_POSITIVE = ("cleft", "positive", "unilateral", "unilateral_left", "unilateral_right", "bilateral")
DEFAULT_NEGATIVE = ("normal", "negative", "no_cleft", "off_plane")


@dataclass(frozen=True)
class LabelMap:
    positive: frozenset[str]
    known: frozenset[str] | None  # None: anything not positive is negative (a labels.json with only `positive`)
    source: str

    def is_positive(self, label: str, where: str) -> bool:
        """Whether `label` counts as a cleft; an empty label or one the map does not know raises CleftEdgeError
        naming `where` (the row)."""
        if not label:
            raise CleftEdgeError(f"{where} has an empty label", "a label on every row", "fill in the label")
        if self.known is not None and label not in self.known:
            raise CleftEdgeError(f"{where} has label '{label}', which the label map ({self.source}) does not know",
                                 "one of " + ", ".join(sorted(self.known)),
                                 "fix the label, or list it under 'positive' or 'negative' in labels.json")
        return label in self.positive


def default_map() -> LabelMap:
    """The label map used without labels.json: the simulator's labels, the cleft ones positive."""
    return LabelMap(frozenset(DEFAULT_POSITIVE), frozenset(DEFAULT_POSITIVE + DEFAULT_NEGATIVE), "the defaults")


def load_label_map(root: Path, store: Store = LOCAL) -> LabelMap:
    """The label map of the data set at `root`: its labels.json ('positive', and 'negative' or 'labels' for the known
    rest), or the defaults without one. A malformed file raises CleftEdgeError."""
    path = Path(root) / "labels.json"
    if not store.is_file(path):
        return default_map()
    try:
        data = json.loads(store.read_text(path))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CleftEdgeError(f"{path} is not valid JSON", "a label map with a 'positive' list",
                             "fix or remove labels.json") from None
    if not isinstance(data, dict) or not _str_list(data.get("positive")):
        raise CleftEdgeError(f"{path} has no 'positive' list of labels", 'e.g. {"positive": ["cleft"], '
                             '"negative": ["normal"]}', "fix or remove labels.json")
    positive = frozenset(data["positive"])
    others = [x for key in ("negative", "labels") if _str_list(data.get(key)) for x in data[key]]
    return LabelMap(positive, positive | frozenset(others) if others else None, str(path.name))


def _str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)
