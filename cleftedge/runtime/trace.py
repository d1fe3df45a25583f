"""The session's score trace (frame, score, wall time, ground truth where known) in bounded memory.

Seventeen bytes a frame in preallocated arrays that grow by doubling up to a cap; past the cap, pairs of
neighbouring points merge (the higher score survives), so a long session keeps its shape at half
the resolution instead of growing without end."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

UNKNOWN = -1


class ScoreTrace:
    def __init__(self, cap: int = 1 << 18):  # 262144 points: 2.4 h at 30 fps before merging
        self.cap = cap
        self._frame = np.zeros(1024, np.int64)
        self._score = np.zeros(1024, np.float32)
        self._t = np.full(1024, np.nan)  # wall clock (Unix seconds) when scored; NaN when not given
        self._truth = np.full(1024, UNKNOWN, np.int8)  # bit 0 in_plane, bit 1 cleft
        self.n = 0

    def add(self, frame: int, score: float, truth: object = None, t: float | None = None) -> None:
        """One scored frame: its index, score, ground truth where known ({"in_plane", "cleft"}) and wall time."""
        if self.n == len(self._frame):
            if self.n >= self.cap:
                self._merge_pairs()
            else:
                self._grow()
        self._frame[self.n], self._score[self.n] = frame, score
        self._t[self.n] = np.nan if t is None else t
        if isinstance(truth, dict):
            self._truth[self.n] = int(bool(truth.get("in_plane"))) | (int(bool(truth.get("cleft"))) << 1)
        else:
            self._truth[self.n] = UNKNOWN
        self.n += 1

    def _grow(self) -> None:
        size = min(self.cap, 2 * len(self._frame))
        for name in ("_frame", "_score", "_t", "_truth"):
            old = getattr(self, name)
            new = np.full(size, UNKNOWN, old.dtype) if name == "_truth" else np.zeros(size, old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def _merge_pairs(self) -> None:
        half = self.n // 2
        s = self._score[: 2 * half].reshape(half, 2)
        pick = np.argmax(s, axis=1) + 2 * np.arange(half)
        for arr in (self._frame, self._score, self._t, self._truth):
            arr[:half] = arr[pick]
        self.n = half

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return iter(zip(self._frame[: self.n].tolist(), self._score[: self.n].tolist(), strict=True))

    def times(self) -> np.ndarray:
        """Wall-clock times of the points (NaN where none was given)."""
        return self._t[: self.n].copy()

    def scores(self) -> np.ndarray:
        """The points' scores."""
        return self._score[: self.n].copy()

    @property
    def truth(self) -> list[tuple[int, bool, bool]]:
        """(frame, in_plane, cleft) of the points whose ground truth is known."""
        t = self._truth[: self.n]
        known = t != UNKNOWN
        return [(int(f), bool(v & 1), bool(v & 2)) for f, v in zip(self._frame[: self.n][known], t[known],
                                                                   strict=True)]
