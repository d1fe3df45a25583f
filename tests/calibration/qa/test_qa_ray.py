"""`cleftedge qa --ray`: the QA set scored as a Ray Data pipeline on a local Ray cluster (one per
test session, two CPUs) gives the very report.json figures and verdict of the local `qa`; with
--by-site a site whose frames cannot be read makes the verdict INCONCLUSIVE, naming them."""

import csv
import json
import shutil

import pytest

pytest.importorskip("ray", reason="the ray extra (pip install 'cleftedge[ray]'); make test installs it")


def test_ray_report_is_the_local_report(qa_world, ir_candidate, ray_cluster, qa_helpers, tmp_path, qa_cli):
    """2,000 frames, enough clusters for the default policy to PASS the faithful candidate."""
    judged_report = qa_helpers["judged"]
    base = ["--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", qa_world["qa"]]
    rc_local, _, _ = qa_cli(*base, "--report", tmp_path / "local")
    rc_ray, _, _ = qa_cli(*base, "--report", tmp_path / "ray", "--ray")
    assert rc_local == rc_ray == 0
    ray_doc = json.loads((tmp_path / "ray" / "report.json").read_text())
    assert ray_doc["timing"]["scorer"] == "ray" and ray_doc["verdict"]["result"] == "pass"
    assert judged_report(tmp_path / "ray") == judged_report(tmp_path / "local")


def test_ray_with_flips_and_a_small_set_matches_too(qa_world, small_qa_set, ray_cluster, qa_helpers, tmp_path,
                                                    qa_cli):
    """A damaged candidate on 200 frames: INCONCLUSIVE or FAIL, with flips and their thumbnails: the
    same, frame by frame, with and without --by-site (batches composed within each site)."""
    judged_report = qa_helpers["judged"]
    base = ["--reference", qa_world["reference"], "--candidate", qa_world["damaged"], "--data", small_qa_set]
    rc_local, _, _ = qa_cli(*base, "--report", tmp_path / "local")
    rc_ray, _, _ = qa_cli(*base, "--report", tmp_path / "ray", "--ray")
    rc_site, _, _ = qa_cli(*base, "--report", tmp_path / "site", "--ray", "--by-site")
    local = judged_report(tmp_path / "local")
    assert rc_local == rc_ray == rc_site == 1 and local["verdict"]["result"] in ("fail", "inconclusive")
    assert judged_report(tmp_path / "ray") == local
    assert judged_report(tmp_path / "site")["flips"] == local["flips"]
    assert judged_report(tmp_path / "site")["verdict"] == local["verdict"]
    thumbs = 'src="data:image/jpeg;base64,'
    assert (tmp_path / "ray" / "report.html").read_text().count(thumbs) == \
        (tmp_path / "local" / "report.html").read_text().count(thumbs) > 0


def _site_counts(data):
    with open(data / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    counts = {}
    for r in rows:
        counts[r["site"]] = counts.get(r["site"], 0) + 1
    return rows, counts


def test_by_site_a_site_with_an_unreadable_file_is_inconclusive_naming_it(qa_world, ir_candidate, small_qa_set,
                                                                            ray_cluster, tmp_path, qa_cli):
    data = tmp_path / "set"
    shutil.copytree(small_qa_set, data)
    rows, counts = _site_counts(data)
    broken = next(r for r in rows if r["site"] == "site-A")
    (data / broken["path"]).write_bytes(b"\x89PNG\r\n\x1a\n truncated by a failed copy")  # a damaged file
    out = tmp_path / "qa"
    rc, _, stderr = qa_cli("--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", data,
                        "--report", out, "--ray", "--by-site")
    assert rc == 1 and "QA INCONCLUSIVE" in stderr and "could not be scored" in stderr
    r = json.loads((out / "report.json").read_text())
    missing = r["missing_frames"]
    assert r["verdict"]["result"] == "inconclusive" and not r["verdict"]["passed"]
    assert broken["path"] in missing["keys"] and set(missing["sites"]) == {"site-A"}
    # frame counts per site add up to the data set's: the scored rows plus the missing frames
    scored = {row["group"]: row["frames"] for row in r["sites"]}
    assert {s: scored.get(s, 0) + missing["sites"].get(s, 0) for s in counts} == counts
    assert r["data"]["frames"] + missing["frames"] == len(rows)
    # without --by-site, the unreadable file stops the run with one line (as the local qa does)
    rc, _, stderr = qa_cli("--reference", qa_world["reference"], "--candidate", ir_candidate, "--data", data,
                        "--report", tmp_path / "x", "--ray")
    assert rc == 1 and len(stderr.strip().splitlines()) == 1 and "not a readable image" in stderr
    assert "(on Ray, after 2 attempts)" in stderr  # Ray retried the failed task once
    assert not (tmp_path / "x").exists()


def test_by_site_without_ray_is_refused(qa_world, ir_candidate, small_qa_set, tmp_path, qa_cli):
    rc, _, stderr = qa_cli("--reference", qa_world["reference"], "--candidate", ir_candidate, "--data",
                        small_qa_set, "--report", tmp_path / "x", "--by-site")
    assert rc == 1 and "--by-site needs --ray" in stderr
