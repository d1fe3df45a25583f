"""What any QA scorer hands back (the local one, the tensor cache's, a Ray cluster's)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Scores:
    """What any scorer hands back: the per-frame numbers, the flip thumbnails, and the frames it
    could not score (a Ray shard that failed twice), and how it ran."""

    collected: object
    thumbs: dict
    missing: list
    scorer: dict
