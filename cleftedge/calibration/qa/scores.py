"""What any QA scorer hands back (the local one, the tensor cache's, a Ray cluster's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleftedge.calibration.qa.scorer import Collected


@dataclass
class Scores:
    """What any scorer hands back: the per-frame numbers, the flip thumbnails, and the frames it
    could not score (a Ray shard that failed twice), and how it ran."""

    collected: Collected
    thumbs: dict[str, bytes]  # frame key -> JPEG of a flipped frame
    missing: list[str]  # keys of the frames no scorer could score
    scorer: dict[str, Any]  # how it ran: {"scorer": "local" | "ray", ...}
