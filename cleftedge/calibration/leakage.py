"""The three roles (calibration set, validation set, locked QA set) never share a file or a case.

Files are compared by the SHA-256 of their bytes, so a copy under another name is still caught;
case ids by value. One line names the two sets and what they share."""

from __future__ import annotations

from cleftedge.errors import CleftEdgeError


def overlap(a, b) -> tuple[set[str], set[str]]:
    """(shared file hashes, shared case ids) of two Datasets."""
    return a.file_hashes() & b.file_hashes(), a.case_ids() & b.case_ids()


def check_leakage(sets: dict) -> None:
    """Refuse (one line) any two of the named sets that share a file (by content) or a case id."""
    names = list(sets)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            files, cases = overlap(sets[a], sets[b])
            if not files and not cases:
                continue
            parts = []
            if files:
                parts.append(f"{len(files)} file{'s' if len(files) > 1 else ''} (by content)")
            if cases:
                parts.append(f"{len(cases)} case id{'s' if len(cases) > 1 else ''} (e.g. {sorted(cases)[0]})")
            raise CleftEdgeError(f"the {a} and the {b} share " + " and ".join(parts),
                                 "disjoint data sets for calibration, validation and QA",
                                 "split by case, or pass --allow-overlap if you really mean it")
