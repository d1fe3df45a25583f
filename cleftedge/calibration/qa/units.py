"""One unit per figure, everywhere (terminal, JSON lines, HTML): percentage points for differences,
% for rates, plain numbers for the AUC; never "-0"."""

from __future__ import annotations

DECIMALS = {"pp": 2, "%": 2, "": 4}


def number(value: float, decimals: int) -> str:
    """value rounded to `decimals`, with a rounded-away negative zero printed as 0."""
    v = round(float(value), decimals)
    if v == 0:
        v = 0.0  # -0.0 == 0: drop the sign
    return f"{v:.{decimals}f}"


def figure_text(value: float | None, unit: str, missing: str = "undefined") -> str:
    """A figure in its unit: pp (value already in pp), % (value a fraction), "" (as is)."""
    if value is None:
        return missing
    shown = value * 100.0 if unit == "%" else value
    text = number(shown, DECIMALS[unit])
    return f"{text} {unit}" if unit else text
