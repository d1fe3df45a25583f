"""Alert policy: flag per frame at the spec's threshold; raise when k of the last n voting frames
are flagged; clear with hysteresis (at most clear_k of the last n frames still at or above the
clear threshold, which defaults to the flag threshold and may be set lower); a cooldown after a
clear. Frozen frames do not vote. Each alert keeps its start, peak score, best frame and end.

A policy file may carry the policy's measured alarm delay ([alert_delay], written by
`cleftedge tune-alerts`): IEC 60601-1-8 asks alarm delays to be disclosed, so `run` shows it in the
session_start event, the summary and the session report. Files without it load as before.

The defaults were chosen with benchmarks/alert_quality.py --tune on simulator sweeps (seeds below
1000) and measured on other seeds; see docs/runtime.md."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, fields

from cleftedge import toml
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.scoring import flagged


@dataclass(frozen=True)
class AlertDelay:
    """The measured alarm delay of a policy: time from the first in-plane cleft frame of a pass to
    the alert, over the passes it was measured on (with the model it was measured with)."""

    median_s: float
    max_s: float
    passes: int  # alerted in-plane cleft passes the figures come from
    measured_on: str = ""  # what: e.g. "12 labelled sweeps (cleftedge tune-alerts)"
    model_sha256: str = ""

    def check(self) -> AlertDelay:
        if not (0 <= self.median_s <= self.max_s and self.passes >= 1):
            raise CleftEdgeError(f"alert delay median_s={self.median_s}, max_s={self.max_s}, passes={self.passes}",
                                 "0 <= median_s <= max_s and passes >= 1", "fix the [alert_delay] table")
        return self

    def line(self) -> str:
        return (f"median {self.median_s:.2f} s, max {self.max_s:.2f} s from the first in-plane cleft frame to the "
                f"alert ({self.passes} passes{', ' + self.measured_on if self.measured_on else ''})")


@dataclass(frozen=True)
class AlertConfig:
    k: int = 5  # flagged frames among the last n to raise
    n: int = 8
    clear_k: int = 1  # at most this many flagged among the last n to clear
    cooldown_frames: int = 30  # after a clear, this many voting frames before a new alert
    threshold: float | None = None  # None: the spec's operating threshold
    clear_threshold: float | None = None  # hysteresis on the score: None = the flag threshold
    delay: AlertDelay | None = None  # measured alarm delay ([alert_delay]); None: not measured

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
        if self.delay is not None:
            self.delay.check()
        return self


POLICY_KEYS = ("k", "n", "clear_k", "cooldown_frames", "threshold", "clear_threshold")
OTHER_TABLES = ("alert_delay", "tuning")  # beside [alerts]; [tuning] is read by cleftedge.alert_tuning


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
    table = data["alerts"] if "alerts" in data else {k: v for k, v in data.items() if k not in OTHER_TABLES}
    unknown = sorted(set(table) - set(POLICY_KEYS))
    if unknown:
        raise CleftEdgeError(f"alert policy {path}: unknown key '{unknown[0]}'",
                             "only " + ", ".join(sorted(POLICY_KEYS)), "remove or rename it")
    try:
        values = {k: (float(v) if k.endswith("threshold") else int(v)) for k, v in table.items()}
    except (TypeError, ValueError):
        raise CleftEdgeError(f"alert policy {path} has a value of the wrong type", "integers, threshold a number",
                             "fix the [alerts] table") from None
    return AlertConfig(**values, delay=_load_delay(path, data.get("alert_delay"))).check()


def _load_delay(path: str, table) -> AlertDelay | None:
    if table is None:
        return None
    names = [f.name for f in fields(AlertDelay)]
    required = {"median_s", "max_s", "passes"}
    if not isinstance(table, dict) or set(table) - set(names) or not required <= set(table):
        raise CleftEdgeError(f"alert policy {path}: [alert_delay] is malformed",
                             "median_s, max_s, passes (and measured_on, model_sha256)",
                             "rewrite it with cleftedge tune-alerts or remove the table")
    try:
        return AlertDelay(float(table["median_s"]), float(table["max_s"]), int(table["passes"]),
                          str(table.get("measured_on", "")), str(table.get("model_sha256", "")))
    except (TypeError, ValueError):
        raise CleftEdgeError(f"alert policy {path}: [alert_delay] has a value of the wrong type",
                             "median_s and max_s in seconds, passes an integer",
                             "fix the [alert_delay] table") from None


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
    """The alert state machine of one session: feed it each frame's score with `update`."""

    def __init__(self, config: AlertConfig, spec_threshold: float) -> None:
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
        """Whether this score flags its frame (at or above the policy's threshold)."""
        return flagged(score, self.threshold)

    def update(self, frame: int, t: float, score: float, frozen: bool = False) -> list[tuple[str, Alert]]:
        """Feed one frame; returns ("raised"|"cleared", alert) transitions."""
        if frozen:
            return []
        self.window.append(self.flag(score))
        self.holding.append(flagged(score, self.clear_threshold))  # the same rule at the lower clear threshold
        votes = sum(self.window)
        out: list[tuple[str, Alert]] = []
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
        """The policy as it runs (thresholds resolved): the session_start event's and summary's `alerts`."""
        return {**asdict(self.config), "threshold": self.threshold, "clear_threshold": self.clear_threshold}
