import io
import json
import tarfile

import pytest
from bundle_helpers import edit_manifest, flip_byte, manifest, one_line_error, sign, verify

from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.unpack import safe_extract
from cleftedge.runtime.model import Model


def test_signed_bundle_verifies_and_runs(built, capsys):
    assert verify(built / "b", built) == 0
    out = capsys.readouterr().out
    for name in ("files", "signature", "machine", "qa", "known answers"):
        assert name in out
    model = Model.open(built / "b", trust_store=built / "trust")
    assert model.manifest["profile"]["name"] == "cpu-no-qa"
    assert set(model.describe()["precision"].split("+")) <= {"u8", "i8"}


def test_flipped_byte_in_the_engine_is_refused(built, bundle_copy, capsys):
    flip_byte(bundle_copy / "engine" / "model.bin")
    assert verify(bundle_copy, built) == 1
    assert "does not match its SHA-256" in one_line_error(capsys)
    with pytest.raises(CleftEdgeError, match="failed verification"):
        Model.open(bundle_copy, trust_store=built / "trust")


def test_manifest_edited_after_signing_is_refused(built, bundle_copy, capsys):
    edit_manifest(bundle_copy, lambda m: m["golden"].update(tolerance=0.5))
    assert verify(bundle_copy, built) == 1
    assert "edited after signing" in one_line_error(capsys)


def test_untrusted_key_and_unsigned_bundles_are_refused(built, bundle_copy, capsys):
    assert sign(bundle_copy, built / "other" / "stranger.key.pem") == 0
    capsys.readouterr()
    assert verify(bundle_copy, built) == 1
    assert "not in the trust store" in one_line_error(capsys)
    (bundle_copy / "signature.json").unlink()
    assert verify(bundle_copy, built) == 1
    assert "not signed" in one_line_error(capsys)
    assert verify(bundle_copy, built, "--allow-unsigned") == 0


def test_manifest_for_another_device_is_refused(built, bundle_copy, capsys):
    edit_manifest(bundle_copy, lambda m: m.update(device="NPU"))
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 0
    capsys.readouterr()
    assert verify(bundle_copy, built) == 1
    assert "device NPU is not present" in one_line_error(capsys)


def test_packed_bundle_verifies(built, tmp_path, capsys):
    archive = tmp_path / "b.tar.gz"
    assert main(["bundle", "pack", str(built / "b"), "--out", str(archive)]) == 0
    assert verify(archive, built) == 0


def _tar_with(tmp_path, member: tarfile.TarInfo, data: bytes = b"x"):
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def test_archive_with_a_path_leaving_the_folder_is_refused(tmp_path):
    info = tarfile.TarInfo("../../escape.txt")
    info.size = 1
    with pytest.raises(CleftEdgeError, match="leaves the folder"):
        safe_extract(_tar_with(tmp_path, info), tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_archive_with_a_symlink_is_refused(tmp_path):
    info = tarfile.TarInfo("b/engine")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc"
    with pytest.raises(CleftEdgeError, match="holds a link"):
        safe_extract(_tar_with(tmp_path, info), tmp_path / "out")


def test_a_wrong_known_answer_is_refused(built, bundle_copy, capsys):
    # the engine is intact and signed, but it no longer gives the scores it gave when it was built
    def shift_first_score(m):
        first = m["golden"]["frames"][0]
        first["score"] = min(1.0, first["score"] + 0.3)

    edit_manifest(bundle_copy, shift_first_score)
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 0
    capsys.readouterr()
    assert verify(bundle_copy, built) == 1
    assert "golden frames scored" in one_line_error(capsys)


def test_a_manifest_pointing_outside_the_bundle_is_refused(built, bundle_copy, capsys):
    def point_outside(m):
        m["engine"]["path"] = "../outside.xml"
        m["files"]["../outside.xml"] = "0" * 64

    edit_manifest(bundle_copy, point_outside)
    assert verify(bundle_copy, built, "--allow-unsigned") == 1
    assert "not a plain relative path" in one_line_error(capsys)


def test_a_packed_bundle_opens_through_model_open(built, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert main(["bundle", "pack", str(built / "b"), "--out", str(archive)]) == 0
    model = Model.open(archive, trust_store=built / "trust")
    assert model.manifest["engine"]["sha256"] == manifest(built / "b")["engine"]["sha256"]


def test_keys_are_private_and_never_overwritten(built, capsys):
    import stat

    private = built / "keys" / "cleftedge-signing.key.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    before = private.read_bytes()
    assert main(["keys", "generate", "--out", str(built / "keys")]) == 1
    assert "already exists" in one_line_error(capsys) and private.read_bytes() == before


def test_attach_qa_refuses_a_bundle_changed_since_the_build(built, bundle_copy, tmp_path, capsys):
    report = tmp_path / "rep"
    report.mkdir()
    engine_sha = manifest(bundle_copy)["engine"]["sha256"]
    (report / "report.json").write_text(json.dumps({"kind": "cleftedge.qa_report", "schema": 1,
                                                    "candidate": {"sha256": engine_sha},
                                                    "verdict": {"passed": True, "line": "QA PASS"}}))
    (bundle_copy / "golden" / "extra.png").write_bytes(b"not in the manifest")
    flip_byte(bundle_copy / "engine" / "model.bin")
    assert main(["bundle", "attach-qa", str(bundle_copy), str(report)]) == 1
    assert "no longer matches its SHA-256" in one_line_error(capsys)


def test_the_trust_store_comes_from_the_environment(built, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CLEFTEDGE_TRUST_STORE", str(tmp_path / "nowhere"))
    assert main(["bundle", "verify", str(built / "b")]) == 1
    assert "does not exist" in one_line_error(capsys)
    monkeypatch.setenv("CLEFTEDGE_TRUST_STORE", str(built / "trust"))
    assert main(["bundle", "verify", str(built / "b"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [c["name"] for c in report["checks"]] == ["files", "signature", "release", "machine", "qa",
                                                                       "known answers"]


def test_a_changed_bundle_is_not_signed(built, bundle_copy, capsys):
    flip_byte(bundle_copy / "engine" / "model.xml", 10)
    before = (bundle_copy / "signature.json").read_bytes()
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 1
    assert "cannot sign" in one_line_error(capsys)
    assert (bundle_copy / "signature.json").read_bytes() == before
