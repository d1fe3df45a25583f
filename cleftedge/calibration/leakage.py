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


def duplicate_files(dataset) -> list[list[str]]:
    """Groups of distinct files in one set whose bytes are identical (by SHA-256), as paths
    relative to the set's folder. The frames of one video or cine are one file: never a group."""
    by_hash: dict[str, list[str]] = {}
    for file in sorted({r.file for r in dataset.records}):
        by_hash.setdefault(dataset.file_sha256(file), []).append(_relative(file, dataset.root))
    return [names for names in by_hash.values() if len(names) > 1]


def check_duplicates(dataset, role: str) -> None:
    """Refuse a set that holds the same file twice under different names (one line naming them)."""
    groups = duplicate_files(dataset)
    if not groups:
        return
    copies = sum(len(g) - 1 for g in groups)
    first = groups[0]
    more = f", and {len(groups) - 1} more groups" if len(groups) > 1 else ""
    raise CleftEdgeError(f"the {role} holds {copies} byte-identical copies of other files in it: "
                         f"{' = '.join(first[:3])}{' = ...' if len(first) > 3 else ''}{more}",
                         "each file once (identical frames inside one video or cine are fine)",
                         "remove the copies: a copy under a new name or case id is not new evidence")


def _relative(file, root) -> str:
    try:
        return file.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(file)
