"""No bypass: --allow-unsigned admits only a bundle without any signature; a signature that is present
is always checked against an existing trust store; no link anywhere in a folder bundle; a damaged
archive is one line; archives unpack into a private folder that is removed when the command ends."""

import os
import shutil
import stat
import subprocess
import sys

import pytest
from bundle_helpers import edit_manifest, one_line_error, sign, verify

from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle import bundle_folder
from cleftedge.runtime.model import Model


def test_allow_unsigned_never_verifies_an_edited_signed_manifest(built, bundle_copy, tmp_path, capsys):
    # the attack: sign, then raise the threshold so that the cart stays silent; no trust store on the cart
    edit_manifest(bundle_copy, lambda m: m["spec"]["output"].update(threshold=0.99))
    nowhere = tmp_path / "no-trust-store"
    rc = main(["bundle", "verify", str(bundle_copy), "--trust-store", str(nowhere), "--allow-unsigned"])
    captured = capsys.readouterr()
    assert rc == 1 and "trusted" not in captured.out.replace("not in the trust", "")
    assert "does not exist" in captured.err and captured.err.count("\n") == 1
    with pytest.raises(CleftEdgeError, match="failed verification"):
        Model.open(bundle_copy, trust_store=nowhere, allow_unsigned=True)
    # with the right trust store the edit is named for what it is
    assert verify(bundle_copy, built, "--allow-unsigned") == 1
    assert "edited after signing" in one_line_error(capsys)


def test_a_valid_signature_by_an_untrusted_key_is_refused_even_with_allow_unsigned(built, bundle_copy, tmp_path,
                                                                                      capsys):
    assert sign(bundle_copy, built / "other" / "stranger.key.pem") == 0
    capsys.readouterr()
    assert verify(bundle_copy, built, "--allow-unsigned") == 1
    assert "not in the trust store" in one_line_error(capsys)
    rc = main(["bundle", "verify", str(bundle_copy), "--trust-store", str(tmp_path / "none"), "--allow-unsigned"])
    assert rc == 1 and "does not exist" in one_line_error(capsys)


def test_only_a_bundle_without_a_signature_passes_allow_unsigned_and_it_says_so(built, bundle_copy, capsys):
    (bundle_copy / "signature.json").unlink()
    assert verify(bundle_copy, built, "--allow-unsigned") == 0
    out = capsys.readouterr().out
    assert "WARN  signature      unsigned, accepted because of --allow-unsigned" in out
    assert "trusted" not in out


@pytest.mark.parametrize("where", ["engine", "golden", "top"])
def test_a_folder_bundle_holding_a_symlink_is_refused(built, bundle_copy, tmp_path, where, capsys):
    outside = tmp_path / "outside.png"
    outside.write_bytes((bundle_copy / "golden" / "00_normal.png").read_bytes())
    if where == "engine":  # the engine replaced by a link to the very same bytes: the hashes still match
        target = bundle_copy / "engine" / "model.bin"
        outside.write_bytes(target.read_bytes())
        target.unlink()
        target.symlink_to(outside)
    elif where == "golden":
        (bundle_copy / "golden").rename(tmp_path / "golden")
        (bundle_copy / "golden").symlink_to(tmp_path / "golden")
    else:
        (bundle_copy / "notes.png").symlink_to(outside)
    assert verify(bundle_copy, built) == 1
    assert "symbolic link" in one_line_error(capsys)
    assert sign(bundle_copy, built / "keys" / "cleftedge-signing.key.pem") == 1
    assert "symbolic link" in one_line_error(capsys)
    assert main(["bundle", "pack", str(bundle_copy), "--out", str(tmp_path / "x.tar.gz")]) == 1
    assert "symbolic link" in one_line_error(capsys) and not (tmp_path / "x.tar.gz").exists()


def test_a_folder_bundle_holding_a_hard_link_is_refused(built, bundle_copy, tmp_path, capsys):
    # the engine has a second name outside the bundle: whoever can write there can change it later
    os.link(bundle_copy / "engine" / "model.bin", tmp_path / "model.bin")
    assert verify(bundle_copy, built) == 1
    assert "hard link" in one_line_error(capsys)


def test_a_symlinked_manifest_is_refused(built, bundle_copy, tmp_path, capsys):
    real = tmp_path / "manifest.json"
    (bundle_copy / "manifest.json").rename(real)
    (bundle_copy / "manifest.json").symlink_to(real)
    assert verify(bundle_copy, built) == 1
    assert "manifest.json is a symbolic link" in one_line_error(capsys)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_archive_is_one_line(built, tmp_path, keep, capsys):
    archive = tmp_path / "b.tar.gz"
    assert main(["bundle", "pack", str(built / "b"), "--out", str(archive)]) == 0
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: int(len(data) * keep)])
    capsys.readouterr()
    assert verify(cut, built) == 1
    err = one_line_error(capsys)
    assert "not a readable .tar.gz" in err and "internal error" not in err


@pytest.fixture
def runtime_dir(tmp_path, monkeypatch):
    d = tmp_path / "run-user"
    d.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(d))
    return d / "cleftedge"


def _archive(built, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert main(["bundle", "pack", str(built / "b"), "--out", str(archive)]) == 0
    return archive


def test_archives_unpack_into_a_private_folder_removed_when_done(built, tmp_path, runtime_dir, capsys):
    from cleftedge.runtime.bundle import opened

    archive = _archive(built, tmp_path)
    with opened(archive) as folder:
        assert runtime_dir in folder.parents
        assert stat.S_IMODE(os.stat(runtime_dir).st_mode) == 0o700
        top = next(p for p in folder.parents if p.parent == runtime_dir)
        assert stat.S_IMODE(os.stat(top).st_mode) == 0o700 and top.stat().st_uid == os.getuid()
    assert list(runtime_dir.iterdir()) == []
    # a refused bundle leaves nothing behind either (it used to stay in a shared, reusable folder)
    edited = tmp_path / "edited"
    shutil.copytree(built / "b", edited)
    edit_manifest(edited, lambda m: m["golden"].update(tolerance=0.5))
    assert main(["bundle", "pack", str(edited), "--out", str(tmp_path / "e.tar.gz")]) == 0
    assert verify(tmp_path / "e.tar.gz", built) == 1
    assert list(runtime_dir.iterdir()) == []
    # two unpacks of one archive never share a folder
    a, b = bundle_folder(archive), bundle_folder(archive)
    assert a != b


def test_a_shared_unpack_folder_is_refused(built, tmp_path, runtime_dir, capsys):
    archive = _archive(built, tmp_path)
    runtime_dir.mkdir(mode=0o700)
    os.chmod(runtime_dir, 0o777)  # another user could swap files in between verify and load
    assert verify(archive, built) == 1
    err = one_line_error(capsys)
    assert "can be written by its group or by other users" in err
    os.chmod(runtime_dir, 0o700)
    if os.geteuid() == 0:  # only root can give a folder to someone else
        os.chown(runtime_dir, 65534, 65534)
        assert verify(archive, built) == 1
        assert "belongs to user id 65534" in one_line_error(capsys)
        os.chown(runtime_dir, 0, 0)
    assert verify(archive, built) == 0


def test_a_command_leaves_no_unpacked_bundle_behind_even_when_killed(built, tmp_path, runtime_dir):
    from cleftedge.runtime.bundle import opened

    archive = _archive(built, tmp_path)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir.parent)}
    code = ("import sys; from cleftedge.runtime.model import Model; "
            "m = Model.open(sys.argv[1], trust_store=sys.argv[2]); print(m.manifest['engine']['path'])")
    done = subprocess.run([sys.executable, "-c", code, str(archive), str(built / "trust")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(runtime_dir.iterdir()) == []  # removed at exit
    # a process killed before its exit handler leaves its folder; the next unpack sweeps it away
    killed = subprocess.run([sys.executable, "-c", "import os, sys; from cleftedge.runtime.bundle import "
                             "bundle_folder; bundle_folder(sys.argv[1]); os._exit(0)", str(archive)], env=env,
                            timeout=120)
    assert killed.returncode == 0 and len(list(runtime_dir.iterdir())) == 1
    with opened(archive):
        assert len(list(runtime_dir.iterdir())) == 1  # only this one
    assert list(runtime_dir.iterdir()) == []

