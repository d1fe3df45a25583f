"""Alert policy: flag per frame at the spec's threshold; raise when k of the last n voting frames
are flagged; clear with hysteresis (at most clear_k of the last n frames still at or above the
clear threshold, which defaults to the flag threshold and may be set lower); a cooldown after a
clear. Frozen frames do not vote. Each alert keeps its start, peak score, best frame and end.

The defaults were chosen with benchmarks/alert_quality.py --tune on simulator sweeps (seeds below
1000) and measured on other seeds; see docs/runtime.md."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, fields

from cleftedge import toml
from cleftedge.errors import CleftEdgeError


@dataclass(frozen=True)
class AlertConfig:
    k: int = 5  # flagged frames among the last n to raise
    n: int = 8
    clear_k: int = 1  # at most this many flagged among the last n to clear
    cooldown_frames: int = 30  # after a clear, this many voting frames before a new alert
    threshold: float | None = None  # None: the spec's operating threshold
    clear_threshold: float | None = None  # hysteresis on the score: None = the flag threshold

    def check(self) -> AlertConfig:
        if not (1 <= self.k <= self.n and 0 <= self.clear_k < self.k and self.cooldown_frames >= 0):
            raise CleftEdgeError(f"alert policy k={self.k}, n={self.n}, clear_k={self.clear_k}, "
                                 f"cooldown_frames={self.cooldown_frames}",
                                 "1 <= k <= n, 0 <= clear_k < k, cooldown_frames >= 0", "fix the [alerts] table")
        if self.threshold is not None and not 0 < self.threshold < 1:
            raise CleftEdgeError(f"alert threshold {self.threshold}", "a probability between 0 and 1",
                                 "fix the [alerts] table")
        if self.clear_threshold is not None and not 0 < self.clear_threshold < 1:
            raise CleftEdgeError(f"alert clear_threshold {self.clear_threshold}", "a probability between 0 and 1",
                                 "fix the [alerts] table")
        return self


def load_alert_config(path: str) -> AlertConfig:
    try:
        with open(path, encoding="utf-8") as f:
            data = toml.loads(f.read())
    except FileNotFoundError:
        raise CleftEdgeError(f"alert policy {path} does not exist", "a TOML file with an [alerts] table",
                             "check --alerts") from None
    except toml.TOMLDecodeError as exc:
        raise CleftEdgeError(f"alert policy {path} is not valid TOML ({exc})", "a TOML [alerts] table",
                             "fix the syntax") from None
    table = data.get("alerts", data)
    allowed = {f.name for f in fields(AlertConfig)}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CleftEdgeError(f"alert policy {path}: unknown key '{unknown[0]}'", "only " + ", ".join(sorted(allowed)),
                             "remove or rename it")
    try:
        return AlertConfig(**{k: (float(v) if k.endswith("threshold") else int(v)) for k, v in table.items()}).check()
    except (TypeError, ValueError):
        raise CleftEdgeError(f"alert policy {path} has a value of the wrong type", "integers, threshold a number",
                             "fix the [alerts] table") from None


@dataclass
class Alert:
    alert_id: int
    start_frame: int
    start_t: float
    peak_score: float
    best_frame: int
    end_frame: int | None = None
    end_t: float | None = None


class AlertPolicy:
    def __init__(self, config: AlertConfig, spec_threshold: float):
        self.config = config.check()
        self.threshold = config.threshold if config.threshold is not None else spec_threshold
        self.clear_threshold = config.clear_threshold if config.clear_threshold is not None else self.threshold
        self.window: deque[bool] = deque(maxlen=config.n)  # flagged, per voting frame
        self.holding: deque[bool] = deque(maxlen=config.n)  # at or above the clear threshold
        if self.clear_threshold > self.threshold:
            raise CleftEdgeError(f"alert clear_threshold {self.clear_threshold} above the threshold {self.threshold}",
                                 "a clear threshold at or below the flag threshold", "lower clear_threshold")
        self.active: Alert | None = None
        self.alerts: list[Alert] = []
        self._cooldown = 0

    def flag(self, score: float) -> bool:
        return score >= self.threshold

    def update(self, frame: int, t: float, score: float, frozen: bool = False) -> list[tuple[str, Alert]]:
        """Feed one frame; returns ("raised"|"cleared", alert) transitions."""
        if frozen:
            return []
        flagged = self.flag(score)
        self.window.append(flagged)
        self.holding.append(score >= self.clear_threshold)
        votes = sum(self.window)
        out = []
        if self.active is not None:
            if score > self.active.peak_score:
                self.active.peak_score, self.active.best_frame = score, frame
            if sum(self.holding) <= self.config.clear_k:
                self.active.end_frame, self.active.end_t = frame, t
                out.append(("cleared", self.active))
                self.active = None
                self._cooldown = self.config.cooldown_frames
        elif self._cooldown > 0:
            self._cooldown -= 1
        elif votes >= self.config.k:
            self.active = Alert(len(self.alerts) + 1, frame, t, score, frame)
            self.alerts.append(self.active)
            out.append(("raised", self.active))
        return out

    def describe(self) -> dict:
        return {**asdict(self.config), "threshold": self.threshold, "clear_threshold": self.clear_threshold}
