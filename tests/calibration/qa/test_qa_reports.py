"""report.json and report.html built from scored frames (no model needed for this part)."""

import json
import re

import numpy as np

from cleftedge.calibration.qa.assemble import figures_section, flipped_mask
from cleftedge.calibration.qa.compare import ScoredSet
from cleftedge.calibration.qa.policy import Policy
from cleftedge.calibration.qa.report_html import render_html
from cleftedge.calibration.qa.report_json import summary_table, verdict_line, write_report_json
from cleftedge.calibration.qa.scorer import thumbnail


def _data(n=2400, flip_every=0):
    rng = np.random.default_rng(0)
    labels = rng.choice(["normal", "unilateral_left", "unilateral_right", "bilateral", "off_plane"], n)
    pos = np.isin(labels, ["unilateral_left", "unilateral_right", "bilateral"])
    ref = np.clip(np.where(pos, 0.8, 0.2) + rng.normal(0, 0.15, n), 0, 1)
    cand = np.clip(ref + rng.normal(0, 0.005, n), 0, 1)
    if flip_every:
        idx = np.arange(0, n, flip_every)
        cand[idx] = np.where(ref[idx] >= 0.5, 0.3, 0.7)
    sev = np.where(pos, rng.uniform(0.05, 1, n), 0.0)
    return ScoredSet([f"frame{i:04d}" for i in range(n)], labels.tolist(), pos, [f"case{i // 6}" for i in range(n)],
                     [["site-A", "site-B", "site-C"][i % 3] for i in range(n)], sev, ref, cand)


def _report(data, proxy=False):
    policy = Policy(resamples=300)
    return {"policy": policy.to_dict(),
            "reference": {"path": "ref.onnx", "sha256": "a" * 64, "threshold": 0.5,
                          "backend": {"backend": "onnxruntime"}},
            "candidate": {"path": "cand.onnx", "sha256": "b" * 64, "threshold": 0.5,
                          "backend": {"backend": "onnxruntime", "device": "CPU"},
                          "intended_backend": "tensorrt" if proxy else "onnxruntime", "proxy": proxy},
            "data": {"path": "qa", "content_hash": "c" * 64, "frames": len(data.keys)},
            **figures_section(data, 0.5, 0.5, policy), "alerts": None, "retuned_threshold": None}


def _thumbs(data):
    img = np.zeros((120, 160, 3), np.uint8)
    img[30:90, 40:120] = 200
    mask = flipped_mask(data, 0.5, 0.5)
    return {data.keys[i]: thumbnail(img) for i in np.flatnonzero(mask)[:5]}


def test_html_has_sections_embedded_images_and_no_external_loads():
    data = _data(flip_every=25)
    report = _report(data)
    html = render_html(report, data.ref, data.cand, flipped_mask(data, 0.5, 0.5), _thumbs(data))
    for sid in ("verdict", "figures", "roc", "scatter", "flips", "sites", "labels", "cases", "alerts", "retune",
                "provenance"):
        assert f'id="{sid}"' in html, sid
    assert html.index('id="verdict"') < html.index('id="figures"')  # the verdict comes first
    assert html.count('src="data:image/jpeg;base64,') == 5
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "<script" not in html
    assert 'class="roc-reference"' in html and 'class="roc-candidate"' in html
    for site in ("site-A", "site-B", "site-C"):
        assert f"<td>{site}</td>" in html
    assert "Verdict: FAIL" in html  # 4 % of decisions flipped


def test_proxy_is_said_in_the_verdict_line_and_at_the_top_of_the_page():
    data = _data()
    report = _report(data, proxy=True)
    line = verdict_line(report)
    assert line.startswith("QA PASS [PROXY: tensorrt could not run here")
    html = render_html(report, data.ref, data.cand, flipped_mask(data, 0.5, 0.5), {})
    assert html.index('id="proxy"') < html.index('id="figures"')


def test_failing_line_names_the_criterion_and_json_is_complete(tmp_path):
    data = _data(flip_every=25)
    report = _report(data)
    line = verdict_line(report)
    assert line.startswith("QA FAIL: ") and "agreement FAILED" in line and "limit 98.00 %" in line
    assert "\n" not in line
    write_report_json(tmp_path / "report.json", report)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["schema"] == 2 and doc["kind"] == "cleftedge.qa_report"
    assert doc["verdict"]["passed"] is False and doc["verdict"]["line"] == line
    assert doc["flips"]["count"] >= 96 and len(doc["flips"]["frames"]) == doc["flips"]["count"]
    for k in ("sensitivity", "specificity", "ppv", "npv", "auc"):
        assert doc["figures"]["reference"][k]["ci_low"] is not None
        assert doc["figures"]["difference"][k]["ci_high"] is not None
    assert {r["group"] for r in doc["sites"]} == {"site-A", "site-B", "site-C"}
    assert {"unilateral", "bilateral", "off_plane", "severity subtle [0, 0.35)"} <= {r["group"] for r in doc["labels"]}
    assert doc["cases"]["frames"] == 400
    text = summary_table(report)
    assert "FAIL  decision agreement" in text
    sens = next(line for line in text.splitlines() if line.startswith("sensitivity"))
    assert sens.count(" %") == 2 and sens.count(" pp") == 1  # rates in %, their difference in pp


def test_a_page_a_qa_lead_can_sign():
    data = _data()
    report = _report(data)
    report.update(cleftedge_version="9.9", created="2026-12-01T10:00:00Z", policy_sha256="e" * 64)
    html = render_html(report, data.ref, data.cand, flipped_mask(data, 0.5, 0.5), {})
    for sid in ("evidence", "criteria", "hashes", "signoff"):
        assert f'id="{sid}"' in html, sid
    assert "cleftedge 9.9, report created 2026-12-01T10:00:00Z" in html
    for word in ("Name", "Role", "Date", "Signature"):
        assert f"<td>{word}</td>" in html
    assert "min_sensitivity_difference_pp" in html and "policy SHA-256 " + "e" * 64 in html  # the policy beside it
    assert "tango" in html and "clopper_pearson" in html and "design effect" in html
    assert "{'" not in html and "&#x27;backend&#x27;" not in html  # what ran is a table, not a Python dict
    assert "a" * 64 in html and "b" * 64 in html and "c" * 64 in html  # reference, candidate, QA set
    assert not re.search(r"-0\.0+(?![0-9])", html)  # a rounded-away negative zero is printed as 0


def test_a_proxy_pass_is_amber_never_green():
    data = _data()
    html = render_html(_report(data, proxy=True), data.ref, data.cand, flipped_mask(data, 0.5, 0.5), {})
    assert 'id="verdict" class="proxy-pass"' in html and 'class="pass"' not in html
    assert "Verdict: PASS (PROXY)" in html


def test_an_inconclusive_page_says_why_and_what_to_try_next(tmp_path):
    from cleftedge.calibration.qa.next_steps import next_steps

    data = _data(n=120)
    report = _report(data)
    report["next_steps"] = next_steps(report)
    html = render_html(report, data.ref, data.cand, flipped_mask(data, 0.5, 0.5), {})
    assert 'id="verdict" class="inconclusive"' in html and "Why nothing was shown" in html
    assert "qa-plan" in html and 'id="next-steps"' in html
