"""Keys that expire, keys with a role, a signed revocation list, encrypted private keys."""

import datetime as dt
import json
import shutil

import pytest
from bundle_helpers import manifest, one_line_error, sign

from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.keyfile import write_key_pair
from cleftedge.runtime.bundle.revocation import revoke
from cleftedge.runtime.bundle.signing import load_private_key, sign_manifest
from cleftedge.runtime.bundle.trust import trusted_keys


def sign_anyway(bundle, key_path) -> None:
    """Sign as a careless signing host would, without `bundle sign`'s own checks."""
    signature = sign_manifest(manifest(bundle), load_private_key(key_path))
    (bundle / "signature.json").write_text(json.dumps(signature))


def trust_with(built, tmp_path, *public_keys):
    store = tmp_path / "trust"
    store.mkdir()
    shutil.copy(built / "trust" / "cleftedge-signing.pub.pem", store)
    for pub in public_keys:
        shutil.copy(pub, store)
    return store


def test_generated_keys_say_their_id_role_and_expiry(built, tmp_path, capsys):
    assert main(["keys", "generate", "--out", str(tmp_path), "--name", "s", "--role", "scores",
                 "--expires", "2031-01-31"]) == 0
    out = capsys.readouterr().out
    key_id = out.split("key id ")[1].split(",")[0]
    for name in ("s.pub.pem", "s.key.pem"):
        assert main(["keys", "show", str(tmp_path / name), "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert (shown["key_id"], shown["role"], shown["expires"]) == (key_id, "scores", "2031-01-31")
    assert main(["keys", "show", str(built / "keys" / "cleftedge-signing.pub.pem")]) == 0
    out = capsys.readouterr().out
    assert "role     bundle" in out and "days left" in out  # the default: two years
    assert main(["keys", "generate", "--out", str(tmp_path), "--name", "old", "--expires", "2020-01-01"]) == 1
    assert "in the past" in one_line_error(capsys)


def test_an_expired_key_is_refused_on_the_cart_and_on_the_signing_host(built, bundle_copy, tmp_path, capsys):
    private, public, _ = write_key_pair(tmp_path / "k", "expired", expires="2024-06-30", created="2022-06-30")
    store = trust_with(built, tmp_path, public)
    sign_anyway(bundle_copy, private)
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "expired on 2024-06-30" in one_line_error(capsys)
    assert sign(bundle_copy, private) == 1
    assert "expired on 2024-06-30" in one_line_error(capsys)


def test_a_key_expiring_soon_signs_with_a_warning(built, bundle_copy, tmp_path, capsys):
    soon = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=5)).isoformat()
    private, public, _ = write_key_pair(tmp_path / "k", "soon", expires=soon)
    store = trust_with(built, tmp_path, public)
    assert sign(bundle_copy, private) == 0
    assert "warning: key" in capsys.readouterr().out
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 0
    assert "WARN  signature      the signing key" in capsys.readouterr().out


def test_a_moved_expiry_is_refused(built, bundle_copy, tmp_path, capsys):
    private, public, _ = write_key_pair(tmp_path / "k", "short", expires="2024-06-30")
    text = public.read_text().replace('"expires": "2024-06-30"', '"expires": "2099-12-31"')
    public.write_text(text)  # someone with the trust store's files, but without the private key
    store = trust_with(built, tmp_path, public)
    sign_anyway(bundle_copy, private)
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "was edited after the key was made" in one_line_error(capsys)


def test_a_revoked_key_is_refused(built, bundle_copy, tmp_path, capsys):
    private, public, info = write_key_pair(tmp_path / "k", "lost")
    store = trust_with(built, tmp_path, public)
    assert sign(bundle_copy, private) == 0
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 0
    capsys.readouterr()
    # the signing host revokes the lost key with the key that stays, and the list goes to the carts
    assert main(["keys", "revoke", str(public), "--list", str(tmp_path / "revoked.json"), "--key",
                 str(built / "keys" / "cleftedge-signing.key.pem"), "--reason", "laptop lost"]) == 0
    shutil.copy(tmp_path / "revoked.json", store / "revoked.json")
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    err = one_line_error(capsys)
    assert f"key {info['key_id']} was revoked on " in err and "(laptop lost)" in err
    assert info["key_id"] not in trusted_keys(store)
    # a later list goes out; putting the first one back (validly signed, lacking the later revocation) is refused
    shutil.copy(tmp_path / "revoked.json", tmp_path / "revoked-v1.json")
    assert main(["keys", "revoke", "0123456789abcdef", "--list", str(tmp_path / "revoked.json"), "--key",
                 str(built / "keys" / "cleftedge-signing.key.pem")]) == 0
    assert "(version 2, 2 revoked in all)" in capsys.readouterr().out
    shutil.copy(tmp_path / "revoked.json", store / "revoked.json")
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "was revoked on" in one_line_error(capsys)
    shutil.copy(tmp_path / "revoked-v1.json", store / "revoked.json")
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "is version 1, older than version 2, already accepted on this cart" in one_line_error(capsys)
    shutil.copy(tmp_path / "revoked.json", store / "revoked.json")
    # a list edited on the way (the entry taken out again) is refused, and so the whole store
    doc = json.loads((store / "revoked.json").read_text())
    doc["revoked"] = []
    (store / "revoked.json").write_text(json.dumps(doc))
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "revocation list" in one_line_error(capsys)


def test_a_revocation_list_signed_by_a_stranger_is_refused(built, bundle_copy, tmp_path, capsys):
    store = trust_with(built, tmp_path)
    assert main(["keys", "revoke", "0123456789abcdef", "--list", str(store / "revoked.json"), "--key",
                 str(built / "other" / "stranger.key.pem")]) == 0
    capsys.readouterr()
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "not in the trust store" in one_line_error(capsys)


def test_keys_have_roles(built, bundle_copy, tmp_path, capsys):
    private, public, info = write_key_pair(tmp_path / "k", "scores", role="scores")
    store = trust_with(built, tmp_path, public)
    assert sign(bundle_copy, private) == 1
    assert "is a 'scores' key" in one_line_error(capsys)
    sign_anyway(bundle_copy, private)
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 1
    assert "is a 'scores' key; this needs a 'bundle' key" in one_line_error(capsys)
    assert list(trusted_keys(store, role="scores")) == [info["key_id"]]
    assert info["key_id"] not in trusted_keys(store, role="bundle")


def test_a_bare_pem_is_a_bundle_key_without_expiry(built, bundle_copy, tmp_path, capsys):
    private, public, _ = write_key_pair(tmp_path / "k", "bare")
    for path in (private, public):  # as a key made by another tool, or by an older cleftedge
        path.write_text(path.read_text().split("\n", 1)[1])
    store = trust_with(built, tmp_path, public)
    assert sign(bundle_copy, private) == 0
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 0
    assert "(bundle, no expiry (a bare PEM" in capsys.readouterr().out


def test_an_encrypted_private_key_takes_its_passphrase_from_a_file_or_the_environment(built, bundle_copy, tmp_path,
                                                                                     monkeypatch, capsys):
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse battery staple\n")
    assert main(["keys", "generate", "--out", str(tmp_path / "k"), "--passphrase-file", str(secret)]) == 0
    assert "(encrypted;" in capsys.readouterr().out
    private = tmp_path / "k" / "cleftedge-signing.key.pem"
    assert "ENCRYPTED PRIVATE KEY" in private.read_text()
    assert main(["keys", "show", str(private)]) == 0  # id, role and expiry without the passphrase
    assert "private key, encrypted" in capsys.readouterr().out
    assert sign(bundle_copy, private) == 1
    assert "is encrypted and no passphrase was given" in one_line_error(capsys)
    wrong = tmp_path / "wrong"
    wrong.write_text("tr0ub4dor&3\n")
    assert main(["bundle", "sign", str(bundle_copy), "--key", str(private), "--passphrase-file", str(wrong)]) == 1
    assert "cannot be decrypted" in one_line_error(capsys)
    assert main(["bundle", "sign", str(bundle_copy), "--key", str(private), "--passphrase-file", str(secret)]) == 0
    monkeypatch.setenv("CLEFTEDGE_KEY_PASSPHRASE", "correct horse battery staple")
    assert sign(bundle_copy, private) == 0
    store = trust_with(built, tmp_path)
    shutil.copy(tmp_path / "k" / "cleftedge-signing.pub.pem", store / "enc.pub.pem")
    capsys.readouterr()
    assert main(["bundle", "verify", str(bundle_copy), "--trust-store", str(store)]) == 0


def test_a_passphrase_is_never_a_flag_value():
    import argparse

    from cleftedge.cli import build_parser

    def options(parser):
        for action in parser._actions:
            yield from action.option_strings
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from options(sub)

    secret_words = ("passphrase", "password", "passwd", "secret")  # not --min-pass-s (a pass of the probe)
    named = {o for o in options(build_parser()) if any(w in o for w in secret_words) or o.endswith("-pass")}
    assert named == {"--passphrase-file"}  # a file name, not the secret (flags show in ps and shell history)


def test_revoke_keeps_an_old_list_only_when_its_own_signature_names_its_key(tmp_path):
    private, _, _ = write_key_pair(tmp_path / "k", "host")
    key = load_private_key(private)
    listed = tmp_path / "revoked.json"
    revoke(listed, "0123456789abcdef", "first", key)
    doc = revoke(listed, "fedcba9876543210", "second", key)  # the old list's signature holds: its entry is kept
    assert [e["key_id"] for e in doc["revoked"]] == ["0123456789abcdef", "fedcba9876543210"]
    unnamed = {k: v for k, v in doc["signature"].items() if k != "key_id"}  # a block that names no key
    listed.write_text(json.dumps({**doc, "signature": unnamed}))
    with pytest.raises(CleftEdgeError, match="does not match its own signature"):
        revoke(listed, "00000000000000ff", "third", key)
