"""No rollback: a cart refuses a release older than the newest it has run, unless --allow-rollback,
which the session's events record."""

import json
import os

import pytest
from bundle_helpers import edit_manifest, manifest, one_line_error, sign, verify

from cleftedge.cli import main


@pytest.fixture(scope="module")
def release_2(built, int8_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("r2") / "b2"
    assert main(["build", "--model", str(int8_model), "--profile", str(built / "cpu-no-qa.toml"), "--out", str(out),
                 "--release", "2"]) == 0
    assert sign(out, built / "keys" / "cleftedge-signing.key.pem") == 0
    return out


def run(bundle, built, tmp_path, *extra):
    return main(["run", "--model", str(bundle), "--trust-store", str(built / "trust"), "--source",
                 "sim:none?seed=5&seconds=1", "--max-frames", "3", "--quiet", "--events",
                 str(tmp_path / "events.jsonl"), *extra])


def session_start(tmp_path) -> dict:
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    return [e for e in events if e["type"] == "session_start"][-1]  # the file appends: the newest session


def test_an_older_release_is_refused_after_a_newer_one_ran(built, release_2, tmp_path, capsys):
    assert manifest(release_2)["release"] == 2 and manifest(built / "b")["release"] == 1
    assert verify(built / "b", built) == 0  # nothing has run on this cart yet
    assert run(release_2, built, tmp_path) == 0
    assert session_start(tmp_path)["model"]["cart"]["release"] == 2
    capsys.readouterr()
    assert verify(built / "b", built) == 1
    assert "release 1 of cleftedge-reference is older than release 2" in one_line_error(capsys)
    assert run(built / "b", built, tmp_path) == 1
    assert "a rollback" in one_line_error(capsys)
    # allowed on purpose: it runs, the events say so, and the cart still knows release 2
    assert run(built / "b", built, tmp_path, "--allow-rollback") == 0
    cart = session_start(tmp_path)["model"]["cart"]
    assert cart["rollback_allowed"] is True and (cart["release"], cart["highest_run_before"]) == (1, 2)
    assert verify(built / "b", built, "--allow-rollback") == 0
    assert "WARN  release" in capsys.readouterr().out
    assert verify(built / "b", built) == 1


def test_an_edited_release_number_breaks_the_signature(built, bundle_copy, release_2, tmp_path, capsys):
    assert run(release_2, built, tmp_path) == 0
    edit_manifest(bundle_copy, lambda m: m.update(release=3))
    assert verify(bundle_copy, built) == 1
    assert "edited after signing" in one_line_error(capsys)


def test_a_bundle_without_a_release_counts_as_release_0(built, bundle_copy, release_2, tmp_path, capsys):
    assert run(release_2, built, tmp_path) == 0
    edit_manifest(bundle_copy, lambda m: (m.pop("release"), m.update(schema=1)))  # as an older cleftedge made it
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 0
    capsys.readouterr()
    assert verify(bundle_copy, built) == 1
    assert "release 0 of cleftedge-reference is older than release 2" in one_line_error(capsys)


def test_a_damaged_or_shared_release_record_is_refused(built, release_2, tmp_path, capsys):
    assert run(release_2, built, tmp_path) == 0
    state = os.environ["CLEFTEDGE_STATE"]
    record = os.path.join(state, "releases.json")
    with open(record, "w") as f:
        f.write("{not json")
    assert verify(built / "b", built) == 1
    err = one_line_error(capsys)
    assert "release record" in err and "is damaged" in err
    os.remove(record)
    os.chmod(state, 0o777)  # anyone could reset what this cart has run
    assert verify(built / "b", built) == 1
    assert "can be written by its group or by other users" in one_line_error(capsys)
    os.chmod(state, 0o700)


def test_a_release_number_must_be_positive(built, int8_model, tmp_path, capsys):
    assert main(["build", "--model", str(int8_model), "--profile", str(built / "cpu-no-qa.toml"), "--out",
                 str(tmp_path / "b"), "--release", "0"]) == 1
    assert "release 0" in one_line_error(capsys) and not (tmp_path / "b").exists()
