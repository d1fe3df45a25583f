"""Judging a tuned policy: QA's alert parity with the policy a site will run, refusing sweeps the
policy was tuned on (by content hash and fingerprint, as tune-alerts --judged-on does)."""

from __future__ import annotations

from pathlib import Path

from cleftedge.runtime.alerts import AlertConfig, load_alert_config


def policy_to_judge(alerts: Path | None, sweeps: Path, reference: Path) -> AlertConfig:
    """The alert policy for alert parity on `sweeps` (the built-in default without a file); a
    policy whose tuning record holds any of the sweeps is refused, before anything is scored."""
    if alerts is None:
        return AlertConfig()
    from cleftedge.alert_tuning.policy_file import load_tuning
    from cleftedge.alert_tuning.record import refuse_overlap
    from cleftedge.alert_tuning.sweeps import fingerprint_sweeps
    from cleftedge.runtime.model import Model

    config = load_alert_config(str(alerts))
    _, tuned_on = load_tuning(alerts)
    if tuned_on:
        judged = fingerprint_sweeps([sweeps], lambda: Model.open(reference, steady=True), progress=False)
        refuse_overlap(judged, tuned_on, f"--sweeps {sweeps}: the alert policy {alerts} was tuned on them")
    return config
