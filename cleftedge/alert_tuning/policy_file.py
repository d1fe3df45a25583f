"""The tuned policy file: [alerts] (what the runtime reads, unchanged), [alert_delay] (the measured
alarm delay, IEC 60601-1-8) and [tuning] (model, rule, figures and the record of the sweeps it was
tuned on). Old files with [alerts] alone still load; old readers ignore the new tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

from cleftedge import toml
from cleftedge.alert_tuning.record import SweepRecord, parse_records
from cleftedge.atomic import write_text
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import POLICY_KEYS, AlertConfig


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string (ASCII escapes)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _table(name: str, rows: dict) -> list[str]:
    return [f"[{name}]", *(f"{k} = {_value(v)}" for k, v in rows.items() if v is not None), ""]


def policy_text(config: AlertConfig, tuning: dict, sweeps: list[SweepRecord], header: str = "") -> str:
    """The policy file's TOML text."""
    lines = [f"# {line}" for line in header.splitlines()] + ([""] if header else [])
    lines += _table("alerts", {k: getattr(config, k) for k in POLICY_KEYS})
    if config.delay is not None:
        lines += ["# IEC 60601-1-8 alarm delay: from the first in-plane cleft frame of a pass to the alert"]
        lines += _table("alert_delay", {"median_s": round(config.delay.median_s, 4),
                                        "max_s": round(config.delay.max_s, 4), "passes": config.delay.passes,
                                        "measured_on": config.delay.measured_on,
                                        "model_sha256": config.delay.model_sha256})
    lines += _table("tuning", tuning)
    for s in sweeps:
        lines += _table("tuning.sweeps", s.as_toml_table())
    lines = [("[[tuning.sweeps]]" if line == "[tuning.sweeps]" else line) for line in lines]
    return "\n".join(lines)


def write_policy(path: Path, config: AlertConfig, tuning: dict, sweeps: list[SweepRecord], header: str = "") -> None:
    """Write the policy file atomically (a temp file beside it, then a rename)."""
    text = policy_text(config, tuning, sweeps, header)
    toml.loads(text)  # never write a file the runtime cannot read
    write_text(path, text)


def load_tuning(path: Path) -> tuple[dict, list[SweepRecord]]:
    """A policy file's [tuning] table and its sweep records ({} and [] for a policy never tuned)."""
    try:
        data = toml.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CleftEdgeError(f"alert policy {path} does not exist", "a policy TOML", "check the path") from None
    except (toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CleftEdgeError(f"alert policy {path} is not valid TOML ({exc})", "a policy TOML",
                             "fix the syntax") from None
    tuning = data.get("tuning") or {}
    if not isinstance(tuning, dict):
        raise CleftEdgeError(f"alert policy {path}: [tuning] is not a table", "a [tuning] table",
                             "rewrite it with cleftedge tune-alerts")
    rows = tuning.get("sweeps", [])
    return {k: v for k, v in tuning.items() if k != "sweeps"}, parse_records(rows, f"alert policy {path}")
