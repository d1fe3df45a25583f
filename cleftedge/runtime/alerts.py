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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from cleftedge import toml
from cleftedge.config_fields import ConfigFile, Field, check_value, read_table
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.scoring import flagged

# The [alerts] table: one row per key (the defaults are AlertConfig's); `run`'s --alert-* flags come from it.
ALERT_FIELDS: tuple[Field, ...] = (
    Field("k", int, low=1, help="flagged frames among the last n to raise"),
    Field("n", int, low=1, help="window"),
    Field("clear_k", int, low=0, help="at most this many of the last n still high to clear"),
    Field("cooldown_frames", int, low=0, help="voting frames after a clear before a new alert"),
    Field("threshold", float, low=0, high=1, low_open=True, high_open=True,
          expected="a probability between 0 and 1", help="flag threshold (default: the spec's)"),
    Field("clear_threshold", float, low=0, high=1, low_open=True, high_open=True,
          expected="a probability between 0 and 1", help="hysteresis: a lower score that still holds an alert"),
)
# The [alert_delay] table, as `cleftedge tune-alerts` writes it.
DELAY_FIELDS: tuple[Field, ...] = (
    Field("median_s", float, required=True, low=0, expected="a number of seconds, 0 or more"),
    Field("max_s", float, required=True, low=0, expected="a number of seconds, 0 or more"),
    Field("passes", int, required=True, low=1, expected="an integer count of passes, 1 or more"),
    Field("measured_on", str),
    Field("model_sha256", str),
)
POLICY_KEYS = tuple(f.name for f in ALERT_FIELDS)
OTHER_TABLES = ("alert_delay", "tuning")  # beside [alerts]; [tuning] is read by cleftedge.alert_tuning
_FIX = "fix the [alerts] table (keys: docs/runtime.md)"


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
        """This delay if its figures agree with each other (0 <= median <= max, a pass or more)."""
        if not (0 <= self.median_s <= self.max_s and self.passes >= 1):
            raise CleftEdgeError(f"alert delay median_s={self.median_s}, max_s={self.max_s}, passes={self.passes}",
                                 "0 <= median_s <= max_s and passes >= 1", "fix the [alert_delay] table")
        return self

    def line(self) -> str:
        """The delay in one sentence, for the terminal, the summary and the report."""
        return (f"median {self.median_s:.2f} s, max {self.max_s:.2f} s from the first in-plane cleft frame to the "
                f"alert ({self.passes} passes{', ' + self.measured_on if self.measured_on else ''})")


@dataclass(frozen=True)
class AlertConfig:
    """The alert policy (keys: ALERT_FIELDS, docs/runtime.md) and the alarm delay measured for it."""

    k: int = 5  # flagged frames among the last n to raise
    n: int = 8
    clear_k: int = 1  # at most this many flagged among the last n to clear
    cooldown_frames: int = 30  # after a clear, this many voting frames before a new alert
    threshold: float | None = None  # None: the spec's operating threshold
    clear_threshold: float | None = None  # hysteresis on the score: None = the flag threshold
    delay: AlertDelay | None = None  # measured alarm delay ([alert_delay]); None: not measured

    def check(self, where: ConfigFile | None = None) -> AlertConfig:
        """This config, its values as plain Python numbers (a numpy integer from a tuning grid becomes an
        int; a float or a bool count is refused), if every key is in its range (ALERT_FIELDS) and k, n,
        clear_k agree; `where` names the file or flags the values came from in the error line."""
        where = where or ConfigFile("alert policy", _FIX, "docs/runtime.md")
        typed = {f.name: check_value(f, getattr(self, f.name), where, f.name) for f in ALERT_FIELDS
                 if getattr(self, f.name) is not None}
        return replace(self, **typed).agree(where)

    def agree(self, where: ConfigFile | None = None) -> AlertConfig:
        """This config if k, n and clear_k agree with each other and its delay's figures do; the keys
        themselves were checked by the field table already (read_table for a file, check() for code)."""
        where = where or ConfigFile("alert policy", _FIX, "docs/runtime.md")
        if not (self.k <= self.n and self.clear_k < self.k):
            raise CleftEdgeError(f"{where.label}: k={self.k}, n={self.n}, clear_k={self.clear_k}, "
                                 f"cooldown_frames={self.cooldown_frames}",
                                 "1 <= k <= n, 0 <= clear_k < k, cooldown_frames >= 0", where.fix)
        if self.delay is not None:
            self.delay.check()
        return self


def load_alert_config(path: str | Path) -> AlertConfig:
    """The alert policy of a TOML file: its [alerts] table (or, in old files, the same keys at the top
    level) and its measured [alert_delay], checked; other tables ([tuning], newer ones) are left alone."""
    try:
        with open(path, encoding="utf-8") as f:
            data = toml.loads(f.read())
    except FileNotFoundError:
        raise CleftEdgeError(f"alert policy {path} does not exist", "a TOML file with an [alerts] table",
                             "check --alerts") from None
    except (toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CleftEdgeError(f"alert policy {path} is not valid TOML ({exc})", "a TOML [alerts] table",
                             "fix the syntax") from None
    if "alerts" in data:  # the keys are named as in the table ('k', not 'alerts.k'), as docs/runtime.md does
        if not isinstance(data["alerts"], dict):
            raise ConfigFile(f"alert policy {path}", _FIX, "docs/runtime.md").wrong_type(
                "alerts", data["alerts"], "a table of " + ", ".join(POLICY_KEYS))
        where = ConfigFile(f"alert policy {path} [alerts]", _FIX, "docs/runtime.md")
        values = read_table(ALERT_FIELDS, data["alerts"], where)
    else:  # an old bare file: the keys at the top level
        where = ConfigFile(f"alert policy {path}", _FIX, "docs/runtime.md")
        values = read_table(ALERT_FIELDS, data, where, ignore=OTHER_TABLES)
    # read_table checked every key against ALERT_FIELDS: only the rules across keys are left
    return AlertConfig(**values, delay=_load_delay(path, data.get("alert_delay"))).agree(where)


def _load_delay(path: str | Path, table: object) -> AlertDelay | None:
    """The [alert_delay] table (None when the file has none)."""
    if table is None:
        return None
    where = ConfigFile(f"alert policy {path}: [alert_delay] is malformed",
                       "rewrite it with cleftedge tune-alerts or remove the table", "docs/runtime.md")
    return AlertDelay(**read_table(DELAY_FIELDS, table, where, "alert_delay")).check()


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
        self.config = config = config.check()  # plain ints and floats from here on
        self.threshold = config.threshold if config.threshold is not None else float(spec_threshold)
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

    def update(self, frame: int, t: float, score: float, frozen: bool = False,
               flag: bool | None = None) -> list[tuple[str, Alert]]:
        """Feed one frame; returns ("raised"|"cleared", alert) transitions. `flag`: the frame's flag as
        the caller already decided it with `self.flag(score)` (the pipeline shows that one decision and
        the votes take it); None: decided here."""
        if frozen:
            return []
        self.window.append(self.flag(score) if flag is None else flag)
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
