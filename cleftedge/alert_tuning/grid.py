"""The grid of alert policies tune-alerts evaluates, and the rule that picks one.

The flag threshold is not in the grid: it is the model's validated operating point (the spec's).
The hysteresis clear threshold is, as a fraction of the flag threshold.

The rule: among the policies with at most `max_false_per_hour` false alerts per hour of normal
scanning and at least `min_alerted` of the in-plane cleft passes alerted, the fastest: those within
`tolerance_s` of the lowest median time to alert count as equally fast, and of these the one that
needs the most flagged frames to raise (k: the most margin against runs of look-alikes the tuning
sweeps did not hold) wins, then the fewest false alerts, the most passes alerted, the lowest maximum
delay, the fewest alerts raised in all (less alarm chatter), the smallest window.
No policy passing both bounds: no choice, the closest ones are shown."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from cleftedge.alert_tuning.replay import PolicyFigures, evaluate
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig

SINGLE_FRAME = AlertConfig(k=1, n=1, clear_k=0, cooldown_frames=0)  # alert on every flagged frame


@dataclass(frozen=True)
class Grid:
    k: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8)
    n: tuple[int, ...] = (1, 2, 4, 6, 8, 10, 12)
    clear_k: tuple[int, ...] = (0, 1, 2)
    cooldown_frames: tuple[int, ...] = (0, 15, 30, 60)
    clear_fraction: tuple[float, ...] = (1.0, 0.7, 0.4)  # clear threshold = fraction x flag threshold

    def policies(self, threshold: float) -> list[AlertConfig]:
        """Every alert policy of the grid with k <= n and clear_k < k; the clear threshold is each clear fraction
        times the flag `threshold` (none at fraction 1). Raises CleftEdgeError when no combination is left."""
        out = []
        for k, n, clear_k, cooldown, frac in itertools.product(self.k, self.n, self.clear_k, self.cooldown_frames,
                                                               self.clear_fraction):
            if not (k <= n and clear_k < k):
                continue
            out.append(AlertConfig(k=k, n=n, clear_k=clear_k, cooldown_frames=cooldown,
                                   clear_threshold=None if frac == 1.0 else round(frac * threshold, 6)))
        if not out:
            raise CleftEdgeError("the policy grid is empty", "some k <= n and clear_k < k",
                                 "widen --grid-k / --grid-n / --grid-clear-k")
        return out


@dataclass(frozen=True)
class Rule:
    max_false_per_hour: float = 1.0
    min_alerted: float = 0.95  # share of in-plane cleft passes (of at least min_pass_s)
    min_pass_s: float = 1.0
    tolerance_s: float = 0.1  # median delays this close to the fastest count as equally fast

    def describe(self) -> str:
        """The rule in one sentence, as the report and the policy file state it."""
        return (f"the fastest policy (median time to alert within {self.tolerance_s:g} s of the lowest; of those "
                f"the one needing the most flagged frames) with at most {self.max_false_per_hour:g} false alerts "
                f"per hour of normal scanning and at least {self.min_alerted * 100:g} % of in-plane cleft passes of "
                f"{self.min_pass_s:g} s or more alerted")

    def admits(self, f: PolicyFigures) -> bool:
        """True when a policy's figures meet both bounds (false alerts per hour, share of passes alerted) on at least
        one pass."""
        return f.false_per_hour <= self.max_false_per_hour and f.alerted_share >= self.min_alerted and f.passes > 0


@dataclass(frozen=True)
class Point:
    config: AlertConfig
    figures: PolicyFigures


def speed_key(p: Point) -> tuple:
    """Sort key, fastest first: median then maximum delay (None last), then fewer false alerts, more passes alerted,
    fewer alerts, the smaller n, k and cooldown."""
    f = p.figures
    inf = float("inf")
    return (inf if f.median_delay_s is None else f.median_delay_s, inf if f.max_delay_s is None else f.max_delay_s,
            f.false_alerts, -f.alerted, f.alerts, p.config.n, p.config.k, p.config.cooldown_frames)


def sweep_grid(sweeps, label: str, threshold: float, grid: Grid, rule: Rule) -> list[Point]:
    """Every policy of the grid, replayed on the sweeps' scores."""
    return [Point(cfg, evaluate(sweeps, label, cfg, threshold, rule.min_pass_s)) for cfg in grid.policies(threshold)]


def choose(points: list[Point], rule: Rule) -> Point | None:
    """The rule's choice, or None when no policy passes both bounds."""
    admitted = [p for p in points if rule.admits(p.figures)]
    if not admitted:
        return None
    fastest = min(p.figures.median_delay_s for p in admitted)
    fast = [p for p in admitted if p.figures.median_delay_s <= fastest + rule.tolerance_s + 1e-9]
    return min(fast, key=lambda p: (-p.config.k, p.figures.false_alerts, -p.figures.alerted,
                                    p.figures.max_delay_s, p.figures.alerts, p.config.n, p.config.cooldown_frames))


def closest(points: list[Point], rule: Rule, n: int = 3) -> list[Point]:
    """The policies nearest to passing (by how far they miss each bound), for the refusal message."""
    def miss(p: Point) -> tuple:
        f = p.figures
        over = max(0.0, f.false_per_hour - rule.max_false_per_hour) / max(rule.max_false_per_hour, 1e-9)
        under = max(0.0, rule.min_alerted - f.alerted_share) / max(rule.min_alerted, 1e-9)
        return (over + under, *speed_key(p))
    return sorted(points, key=miss)[:n]


def pareto(points: list[Point]) -> list[Point]:
    """The operating curve: policies no other beats on both false alerts per hour and passes alerted."""
    front, best = [], -1.0
    for p in sorted(points, key=lambda p: (p.figures.false_per_hour, -p.figures.alerted_share, *speed_key(p))):
        if p.figures.alerted_share > best:
            front.append(p)
            best = p.figures.alerted_share
    return front
