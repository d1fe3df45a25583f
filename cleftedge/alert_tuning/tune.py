"""tune-alerts' steps, shared by the command and benchmarks/alert_quality.py: the grid replayed on
scored sweeps, the rule's choice, the chosen policy with its measured delay, the [tuning] table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from cleftedge.alert_tuning.grid import SINGLE_FRAME, Grid, Point, Rule, choose, closest, pareto, sweep_grid
from cleftedge.alert_tuning.replay import evaluate, poisson_upper95
from cleftedge.alert_tuning.scoring import SweepScores
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig, AlertDelay


@dataclass(frozen=True)
class Tuned:
    """What the grid gave: every point, the curve, the choice (None: none meets the rule), the
    single-frame policy for comparison."""

    points: list[Point]
    front: list[Point]
    chosen: Point | None
    single: Point
    rule: Rule
    threshold: float


def check_evidence(sweeps: Sequence[SweepScores], rule: Rule) -> None:
    """Refuse sweeps that cannot measure the rule's two figures."""
    from cleftedge.calibration.qa.alert_parity import episodes

    passes = sum(1 for sw in sweeps for a, b in episodes(sw.truth) if (b - a + 1) / sw.fps >= rule.min_pass_s)
    if passes == 0:
        raise CleftEdgeError(f"the sweeps hold no in-plane cleft pass of {rule.min_pass_s:g} s or more",
                             "labelled sweeps with cleft passes (in_plane=1, cleft=1 for a second or more)",
                             "add cleft sweeps (cleftedge simulate sweep --cleft unilateral) or lower --min-pass-s")
    if all(sw.truth.all() for sw in sweeps):
        raise CleftEdgeError("the sweeps hold no normal scanning (every frame has a cleft in view)",
                             "sweeps with frames without a cleft in view", "add normal sweeps")


def tune(sweeps: Sequence[SweepScores], label: str, threshold: float, grid: Grid, rule: Rule) -> Tuned:
    """Replay every policy of `grid` on the scored `sweeps` at the flag `threshold`: the points, the curve, the
    policy `rule` chooses (None: none meets it) and the single-frame policy. Raises CleftEdgeError when the sweeps
    hold too little evidence."""
    check_evidence(sweeps, rule)
    points = sweep_grid(sweeps, label, threshold, grid, rule)
    single = Point(SINGLE_FRAME, evaluate(sweeps, label, SINGLE_FRAME, threshold, rule.min_pass_s))
    return Tuned(points, pareto(points), choose(points, rule), single, rule, threshold)


def no_choice_line(t: Tuned) -> str:
    """The line saying that no policy meets the rule, with the closest one and its figures."""
    best = closest(t.points, t.rule, 1)[0]
    f = best.figures
    return (f"no policy of the grid has at most {t.rule.max_false_per_hour:g} false alerts per hour and at least "
            f"{t.rule.min_alerted * 100:g} % of passes alerted; closest: {describe(best.config)} with "
            f"{f.false_per_hour:.2f} per hour, {f.alerted_share * 100:.1f} % alerted")


def describe(c: AlertConfig) -> str:
    """An alert policy as `k=.. n=.. clear_k=.. cooldown_frames=..` (and clear_threshold when set)."""
    clear = "" if c.clear_threshold is None else f" clear_threshold={c.clear_threshold:g}"
    return f"k={c.k} n={c.n} clear_k={c.clear_k} cooldown_frames={c.cooldown_frames}{clear}"


def chosen_config(t: Tuned, measured_on: str, model_sha256: str) -> AlertConfig:
    """The chosen policy carrying its measured alarm delay."""
    f = t.chosen.figures
    delay = AlertDelay(f.median_delay_s, f.max_delay_s, f.alerted, measured_on, model_sha256)
    return replace(t.chosen.config, delay=delay).check()


def tuning_table(t: Tuned, model: str, model_sha256: str, sweeps: Sequence[SweepScores], grid: Grid) -> dict:
    """The [tuning] table of the policy file: the tool, the model, the rule, the grid and the chosen and single-frame
    policies' figures on the sweeps."""
    f = t.chosen.figures
    hours = f.normal_hours
    return {"tool": "cleftedge tune-alerts", "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model": model, "model_sha256": model_sha256, "flag_threshold": t.threshold,
            "rule": t.rule.describe(), "max_false_per_hour": t.rule.max_false_per_hour,
            "min_alerted": t.rule.min_alerted, "min_pass_s": t.rule.min_pass_s, "tolerance_s": t.rule.tolerance_s,
            "policies_evaluated": len(t.points), "grid_k": list(grid.k), "grid_n": list(grid.n),
            "grid_clear_k": list(grid.clear_k), "grid_cooldown_frames": list(grid.cooldown_frames),
            "grid_clear_fraction": list(grid.clear_fraction),
            "sweep_count": len(sweeps), "normal_hours": round(hours, 5), "false_alerts": f.false_alerts,
            "false_per_hour": round(f.false_per_hour, 4), "false_per_hour_upper95": round(f.false_per_hour_upper95, 4),
            "passes": f.passes, "passes_alerted": f.alerted,
            "single_frame_false_per_hour": round(t.single.figures.false_per_hour, 4),
            "single_frame_passes_alerted": t.single.figures.alerted}


def evidence_warning(t: Tuned) -> str | None:
    """Say when the normal scanning is too short to show the rule's false-alert bound."""
    f = (t.chosen or t.single).figures
    if f.false_per_hour_upper95 <= t.rule.max_false_per_hour:
        return None
    need = poisson_upper95(0) / max(t.rule.max_false_per_hour, 1e-9)
    return (f"{f.false_alerts} false alerts in {f.normal_hours * 60:.1f} min of normal scanning: the 95 % upper bound "
            f"is {f.false_per_hour_upper95:.1f} per hour, so these sweeps cannot show at most "
            f"{t.rule.max_false_per_hour:g} per hour (that takes {need:.1f} h or more of normal scanning)")


def curve_lines(t: Tuned, n: int = 12) -> list[str]:
    """The operating curve as text: the chosen point, the single-frame policy, the curve's points."""
    def row(tag: str, p: Point) -> str:
        f = p.figures
        med = "-" if f.median_delay_s is None else f"{f.median_delay_s:.2f} s"
        mx = "-" if f.max_delay_s is None else f"{f.max_delay_s:.2f} s"
        return (f"{tag:<13}{f.false_per_hour:>9.2f}  {f.alerted:>4}/{f.passes:<4} {f.alerted_share * 100:>5.1f} %  "
                f"{med:>8}  {mx:>8}  {describe(p.config)}")
    out = [f"{'':<13}{'false/h':>9}  {'passes alerted':<16} {'median':>8}  {'max':>8}  policy"]
    if t.chosen:
        out.append(row("chosen", t.chosen))
    out.append(row("single frame", t.single))
    step = max(1, len(t.front) // n)
    out += [row("curve", p) for p in t.front[::step]]
    return out
