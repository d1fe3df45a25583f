"""The short table `cleftedge calibrate` prints at the end (the same facts as --json)."""

from __future__ import annotations


def _rows(s: dict) -> list[tuple[str, str]]:
    labels = ", ".join(f"{k} {v}" for k, v in s.get("subset_labels", {}).items())
    rows = [("model", s["out"]), ("recipe", f"{s['recipe']} ({s['method']})"),
            ("subset", f"{s['frames']} frames: {labels}"), ("data set hash", s["data_hash"][:16]),
            ("source sha256", s["source_sha256"][:16]), ("kept in float", ", ".join(s["keep_float"]) or "nothing")]
    if s.get("reduce_range") is not None:
        rows.append(("reduce_range", str(s["reduce_range"]).lower()))
    if s.get("accuracy_control"):
        rows.append(("accuracy control", f"max drop {s['accuracy_control']['max_drop']}"))
    rows += [("TensorRT Q/DQ check", s["qdq_check"]), ("record", s["sidecar"]), ("time", f"{s['seconds']:.1f} s")]
    preset = s.get("preset")
    if preset:
        rows.append(("preset", f"kept attempt '{preset['chosen']}' of {len(preset['attempts'])} tried"))
    auto = s.get("auto_keep_float")
    if auto:
        gate = "passed" if auto["passed"] else "NOT met"
        rows += [("auto keep-float", f"kept {', '.join(auto['kept']) or 'nothing'}; QA gate {gate}"),
                 ("  parity (validation)", f"agreement {auto['agreement']:.4f} (bound "
                                           f"{_num(auto['agreement_bound'])}), {auto['flips']} of {auto['frames']} "
                                           f"flipped"),
                 ("  latency", f"{auto['latency_ms_before']:.2f} -> {auto['latency_ms_after']:.2f} ms, FP32 "
                               f"{auto['latency_ms_fp32']:.2f} ms ({auto['backend']}, median of "
                               f"{auto['latency_runs']})")]
        rows += [(f"  cost of {c['node']}", f"{c['latency_ms_added']:+.3f} ms") for c in auto["layer_costs"]]
    return rows


def _num(x) -> str:
    return "undefined" if x is None else f"{x:.4f}"


def format_summary(s: dict) -> str:
    """The calibration summary `s` as the indented lines `calibrate` prints, the worst layers last."""
    rows = _rows(s)
    width = max(len(k) for k, _ in rows)
    lines = [f"  {k:<{width}}  {v}" for k, v in rows]
    worst = s.get("worst_layers")
    if worst:
        lines.append("  worst layers, worst first (decision flips fixed in float on the validation set, then SQNR):")
        lines += [f"    {w['node']:<32} {w['sqnr_db']:6.1f} dB" + (
            f"  in float: {w['flips_fixed']:+d} of {w['flips_base']} flips fixed" if "flips_fixed" in w else "")
                  for w in worst]
    return "calibrated:\n" + "\n".join(lines)


def print_summary(s: dict) -> None:
    """Print format_summary(s)."""
    print(format_summary(s))
