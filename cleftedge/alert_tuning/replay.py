"""Replay an alert policy on scored sweeps with the runtime's own AlertPolicy (frozen frames do not
vote, exactly as on the cart) and measure it: false alerts per hour of normal scanning, the share of
in-plane cleft passes alerted, and the time from a pass's first in-plane cleft frame to the alert.

A pass is a run of frames with a cleft in view. An alert is false when no cleft frame lies in it or
in the second before it (an alert raised just after the probe left the lip is not a false alarm).
Normal scanning is every frame with no cleft in view."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from cleftedge.calibration.qa.alert_parity import episodes, first_alert
from cleftedge.runtime.alerts import AlertConfig, AlertPolicy


@dataclass(frozen=True)
class PolicyFigures:
    """One policy's figures on a set of scored sweeps."""

    false_alerts: int
    alerts: int  # every alert raised (false or not): fewer for the same figures is less alarm chatter
    normal_hours: float
    passes: int  # in-plane cleft passes of at least the minimum length
    alerted: int
    delays_s: tuple[float, ...]  # per alerted pass: first in-plane cleft frame to the alert
    short_passes: int  # passes shorter than the minimum (reported, not in the share)
    short_alerted: int

    @property
    def false_per_hour(self) -> float:
        """False alerts per hour of normal scanning (0 without normal scanning)."""
        return self.false_alerts / self.normal_hours if self.normal_hours else 0.0

    @property
    def false_per_hour_upper95(self) -> float:
        """One-sided 95 % upper bound of the false-alert rate (Poisson): what the hours can show."""
        return poisson_upper95(self.false_alerts) / self.normal_hours if self.normal_hours else float("inf")

    @property
    def alerted_share(self) -> float:
        """The share (0..1) of in-plane cleft passes alerted (0 without passes)."""
        return self.alerted / self.passes if self.passes else 0.0

    @property
    def median_delay_s(self) -> float | None:
        """The median seconds from a pass's first in-plane cleft frame to its alert; None when no pass was alerted."""
        return float(np.median(self.delays_s)) if self.delays_s else None

    @property
    def max_delay_s(self) -> float | None:
        """The longest seconds from a pass's first in-plane cleft frame to its alert; None when no pass was alerted."""
        return float(np.max(self.delays_s)) if self.delays_s else None

    def as_dict(self) -> dict:
        """The figures for JSON: the counts, the rates and the delays (not the per-pass delays)."""
        return {**{k: v for k, v in asdict(self).items() if k != "delays_s"},
                "false_per_hour": self.false_per_hour, "false_per_hour_upper95": self.false_per_hour_upper95,
                "alerted_share": self.alerted_share,
                "median_delay_s": self.median_delay_s, "max_delay_s": self.max_delay_s}


def poisson_upper95(events: int) -> float:
    """The rate whose Poisson CDF at `events` is 0.05 (3.0 for no event), by bisection."""
    def cdf(lam: float) -> float:
        term = total = math.exp(-lam)
        for i in range(1, events + 1):
            term *= lam / i
            total += term
        return total
    lo, hi = 0.0, 10.0 + 3.0 * events
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) > 0.05 else (lo, mid)
    return hi


def _quiet_run(scores: np.ndarray, live: np.ndarray, below: float) -> np.ndarray:
    """Per frame: how many live (not frozen) frames in a row, up to this one, scored below `below`
    (frozen frames neither count nor break a run: the policy ignores them)."""
    idx = np.flatnonzero(live)
    quiet = (scores[idx] < below).astype(np.int64)
    total = np.cumsum(quiet)
    run = np.zeros(len(scores), np.int64)
    run[idx] = total - np.maximum.accumulate(np.where(quiet == 0, total, 0))
    return run


def replay_spans(scores: np.ndarray, frozen: np.ndarray, config: AlertConfig, threshold: float, fps: float,
                 quiet_run: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(first, last) frame of each alert the runtime's AlertPolicy raises, as alert_parity.alert_spans,
    but fast: frozen frames (no-ops in the policy) and the tail of a long quiet run are not fed. After
    n + cooldown_frames + 1 live frames below both thresholds the policy is in its rest state whatever
    it was in before (window empty, any alert cleared, cooldown over), so the rest of the run changes
    nothing; the replay is exact (tests compare it with the plain loop)."""
    policy = AlertPolicy(config, threshold)
    live = ~frozen
    run = quiet_run if quiet_run is not None else _quiet_run(scores, live, min(policy.threshold,
                                                                                 policy.clear_threshold))
    keep = np.flatnonzero(live & (run <= config.n + config.cooldown_frames + 1)).tolist()
    values = scores.tolist()
    for i in keep:
        policy.update(i, i / fps, values[i])
    last = len(scores) - 1
    return [(a.start_frame, a.end_frame if a.end_frame is not None else last) for a in policy.alerts]


def evaluate(sweeps, label: str, config: AlertConfig, threshold: float, min_pass_s: float = 1.0) -> PolicyFigures:
    """The policy's figures on the sweeps' scores of one model (label)."""
    false_alerts = raised = 0
    normal_seconds = 0.0
    passes = alerted = short = short_alerted = 0
    delays: list[float] = []
    for sw in sweeps:
        truth, fps = sw.truth, sw.fps
        spans = replay_spans(sw.scores[label], sw.frozen, config, threshold, fps)
        raised += len(spans)
        grace = int(round(fps))
        false_alerts += sum(1 for s, e in spans if not truth[max(0, s - grace):e + 1].any())
        normal_seconds += int((~truth).sum()) / fps
        for ep in episodes(truth):
            hit = first_alert(spans, ep)
            if (ep[1] - ep[0] + 1) / fps < min_pass_s:
                short += 1
                short_alerted += hit is not None
                continue
            passes += 1
            if hit is not None:
                alerted += 1
                delays.append((hit - ep[0]) / fps)
    return PolicyFigures(false_alerts, raised, normal_seconds / 3600, passes, alerted, tuple(delays), short,
                         short_alerted)
