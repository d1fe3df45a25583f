"""The tuning sweeps' record, and the overlap check a QA lead expects: a policy is never judged on
the sweeps it was tuned on. Sweeps are known by content, never by name: the SHA-256 of the video
file (a renamed copy is the same sweep) and a fingerprint, the perceptual hash of the model's input
tensor one frame a second (a re-encoded copy keeps most of them, so it is refused too)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cleftedge.calibration.qa.phash import cross_pairs, from_hex, to_hex
from cleftedge.errors import CleftEdgeError

NEAR_SHARE = 0.5  # a sweep with half of its sampled frames near-duplicates of another's is a copy of it
NEAR_MIN = 3  # ... and at least this many


@dataclass(frozen=True)
class SweepRecord:
    """One sweep by content: its name when recorded (for people), hash, length and fingerprint."""

    name: str
    sha256: str
    frames: int
    fingerprint: str  # 16 hex digits per sampled frame

    def hashes(self) -> np.ndarray:
        """The fingerprint's per-frame 64-bit hashes (16 hex digits each); empty when the record has no fingerprint."""
        f = self.fingerprint
        return from_hex([f[i:i + 16] for i in range(0, len(f), 16)]) if f else np.zeros(0, np.uint64)

    def as_toml_table(self) -> dict:
        """The record as one [[tuning.sweeps]] table of the policy file."""
        return {"name": self.name, "sha256": self.sha256, "frames": self.frames, "fingerprint": self.fingerprint}


def record_of(sweep) -> SweepRecord:
    """The record of a scored sweep (cleftedge.alert_tuning.scoring.SweepScores)."""
    return SweepRecord(sweep.name, sweep.sha256, sweep.frames, "".join(to_hex(sweep.phash)))


def parse_records(rows: Iterable[dict], where: str) -> list[SweepRecord]:
    """The sweep records of [[tuning.sweeps]] tables (`rows`); a malformed table raises CleftEdgeError naming
    `where`."""
    try:
        return [SweepRecord(str(r["name"]), str(r["sha256"]), int(r["frames"]), str(r.get("fingerprint", "")))
                for r in rows]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CleftEdgeError(f"{where}: the record of the tuning sweeps is malformed",
                             "[[tuning.sweeps]] tables with name, sha256, frames, fingerprint",
                             "rewrite the policy with cleftedge tune-alerts") from None


def overlaps(judged: list[SweepRecord], tuned: list[SweepRecord]) -> list[str]:
    """One line per judged sweep that is one of the tuned sweeps (same content) or a near copy."""
    by_sha = {t.sha256: t for t in tuned}
    owners = np.concatenate([np.full(len(t.hashes()), i) for i, t in enumerate(tuned)]) if tuned else np.zeros(0)
    pool = np.concatenate([t.hashes() for t in tuned]) if tuned else np.zeros(0, np.uint64)
    out = []
    for j in judged:
        if j.sha256 in by_sha:
            out.append(f"{j.name} is the tuning sweep {by_sha[j.sha256].name} (same content, SHA-256 "
                       f"{j.sha256[:12]})")
            continue
        mine = j.hashes()
        pairs = cross_pairs(mine, pool)
        if not len(pairs):
            continue
        for owner in np.unique(owners[pairs[:, 1]]).tolist():
            shared = len(np.unique(pairs[owners[pairs[:, 1]] == owner, 0]))
            if shared >= max(NEAR_MIN, NEAR_SHARE * len(mine)):
                out.append(f"{j.name} is a near copy of the tuning sweep {tuned[int(owner)].name} ({shared} of "
                           f"{len(mine)} sampled frames near-duplicates: re-encoded or edited)")
                break
    return out


def refuse_overlap(judged: list[SweepRecord], tuned: list[SweepRecord], what: str) -> None:
    """Raise when any judged sweep is a tuning sweep: a policy is never judged on what tuned it."""
    found = overlaps(judged, tuned)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CleftEdgeError(f"{what}: {found[0]}{more}", "sweeps the alert policy was not tuned on",
                             "judge on other sweeps, or tune on other sweeps")
