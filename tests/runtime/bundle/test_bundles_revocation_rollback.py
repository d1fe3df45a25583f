"""A cart never goes back to an older revocation list: each list carries a signed version, the
cart remembers the highest it has accepted per trust store and refuses an older one (or none)."""

import json
import os
import shutil
from pathlib import Path

import pytest

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.keyfile import write_key_pair
from cleftedge.runtime.bundle.revocation import REVOKED, revoke
from cleftedge.runtime.bundle.signing import load_private_key, sign_manifest
from cleftedge.runtime.bundle.trust import load_trust_store

LOST, STOLEN = "0123456789abcdef", "fedcba9876543210"


@pytest.fixture
def host(tmp_path):
    """(the signing host's list, its signing key, a cart's trust store that trusts that key)."""
    private, public, _ = write_key_pair(tmp_path / "keys", "host")
    store = tmp_path / "trust"
    store.mkdir()
    shutil.copy(public, store)
    return tmp_path / "master-revoked.json", load_private_key(private), store


def ship(listed, store, keep=None):
    """Copy the signing host's list into the cart's trust store (and a copy of it to `keep`)."""
    shutil.copy(listed, store / REVOKED)
    if keep is not None:
        shutil.copy(listed, keep)


def test_each_revoke_raises_the_signed_version(host):
    listed, key, _ = host
    assert revoke(listed, LOST, "lost", key)["version"] == 1
    assert revoke(listed, STOLEN, "stolen", key)["version"] == 2


def test_an_older_list_is_refused_after_a_newer_one(host, tmp_path):
    listed, key, store = host
    revoke(listed, LOST, "lost", key)
    ship(listed, store, keep=tmp_path / "v1.json")
    assert set(load_trust_store(store).revoked) == {LOST}
    revoke(listed, STOLEN, "stolen", key)
    ship(listed, store)
    assert set(load_trust_store(store).revoked) == {LOST, STOLEN}
    shutil.copy(tmp_path / "v1.json", store / REVOKED)  # validly signed, but it lacks the later revocation
    with pytest.raises(CleftEdgeError, match=r"is version 1, older than version 2, already accepted on this cart"):
        load_trust_store(store)
    (store / REVOKED).unlink()  # no list at all is the oldest list
    with pytest.raises(CleftEdgeError, match=r"has no revoked.json, but this cart accepted version 2"):
        load_trust_store(store)
    ship(listed, store)
    assert set(load_trust_store(store).revoked) == {LOST, STOLEN}


def test_an_unversioned_list_reads_until_a_versioned_one_was_accepted(host):
    listed, key, store = host
    old = {"kind": "cleftedge.revoked_keys", "schema": 1, "issued": "2026-11-01T10:00:00Z",
           "revoked": [{"key_id": LOST, "reason": "lost", "date": "2026-11-01"}]}
    listed.write_text(json.dumps({**old, "signature": sign_manifest(old, key)}))  # as an older cleftedge wrote it
    ship(listed, store, keep=listed.with_name("unversioned.json"))
    assert set(load_trust_store(store).revoked) == {LOST}
    assert revoke(listed, STOLEN, "stolen", key)["version"] == 1  # the old entries are kept
    ship(listed, store)
    assert set(load_trust_store(store).revoked) == {LOST, STOLEN}
    shutil.copy(listed.with_name("unversioned.json"), store / REVOKED)
    with pytest.raises(CleftEdgeError, match=r"is version 0, older than version 1"):
        load_trust_store(store)


def test_the_same_version_with_other_contents_is_refused(host, tmp_path):
    listed, key, store = host
    revoke(listed, LOST, "lost", key)
    ship(listed, store)
    load_trust_store(store)
    forked = tmp_path / "forked.json"
    revoke(forked, STOLEN, "stolen", key)  # a second list started elsewhere: also version 1
    ship(forked, store)
    with pytest.raises(CleftEdgeError, match="other contents"):
        load_trust_store(store)


def test_a_version_that_is_not_a_positive_integer_is_refused(host):
    listed, key, store = host
    for bad in (True, 1.5, "2", -1):
        body = {"kind": "cleftedge.revoked_keys", "schema": 1, "version": bad, "revoked": []}
        (store / REVOKED).write_text(json.dumps({**body, "signature": sign_manifest(body, key)}))
        with pytest.raises(CleftEdgeError, match="not a revocation list this cleftedge knows"):
            load_trust_store(store)


def test_a_damaged_record_is_refused_not_reset(host):
    listed, key, store = host
    revoke(listed, LOST, "lost", key)
    ship(listed, store)
    load_trust_store(store)
    (Path(os.environ["CLEFTEDGE_STATE"]) / "revocations.json").write_text("{")
    with pytest.raises(CleftEdgeError, match="revocation record .* is damaged"):
        load_trust_store(store)
