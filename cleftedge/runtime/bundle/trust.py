"""The trust store: the folder of ed25519 public keys (*.pem) a cart accepts signatures from, each
with its role and expiry (the key file's info line, see keyfile.py), and an optional signed
revocation list `revoked.json`.
Location: --trust-store DIR, else $CLEFTEDGE_TRUST_STORE, else /etc/cleftedge/trust.

A signature is trusted only when a key of this store signed exactly this document, and that key is
not revoked, has the role the document needs ("bundle" for a manifest, "scores" for saved
reference scores) and has not expired."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.runtime.bundle.keyfile import KeyInfo, key_id, raw_public
from cleftedge.runtime.bundle.revocation import REVOKED, read_revocations
from cleftedge.runtime.bundle.signing import key_info, load_public_key, verify_signature

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DEFAULT_TRUST_STORE = Path("/etc/cleftedge/trust")
ENV = "CLEFTEDGE_TRUST_STORE"


def trust_store_path(given: str | os.PathLike | None = None) -> Path:
    """The trust store folder: `given`, else $CLEFTEDGE_TRUST_STORE, else /etc/cleftedge/trust."""
    if given:
        return Path(given)
    return Path(os.environ.get(ENV) or DEFAULT_TRUST_STORE)


@dataclass(frozen=True)
class TrustedKey:
    """One public key of the store, with what its key file declares (role, expiry)."""

    key_id: str
    key: Ed25519PublicKey
    info: KeyInfo
    path: Path


@dataclass(frozen=True)
class TrustStore:
    """The keys of a trust store folder (by key id) and its revocations."""

    path: Path
    keys: dict[str, TrustedKey] = field(default_factory=dict)
    revoked: dict[str, dict[str, Any]] = field(default_factory=dict)  # key id -> {key_id, reason, date}

    def empty_problem(self) -> str | None:
        """Why no signature can be trusted (the store is missing or holds no keys); None when it has keys."""
        if self.keys:
            return None
        where = "holds no keys" if self.path.is_dir() else "does not exist"
        return (f"the trust store {self.path} {where}; a signature is only ever checked against it (give "
                "--trust-store DIR or set CLEFTEDGE_TRUST_STORE)")

    def check(self, document: dict[str, Any], signature: dict[str, Any], role: str, on: dt.date | None = None,
              what: str = "the bundle", body: str = "the manifest") -> tuple[str | None, TrustedKey | None]:
        """(None, the key) when a usable `role` key of this store signed exactly `document`; else
        (why not, the key or None). `what` and `body` name the document in the line."""
        empty = self.empty_problem()
        if empty:
            return empty, None
        problem = verify_signature(document, signature, {k: t.key for k, t in self.keys.items()}, what, body)
        if problem:
            return problem.replace("the trust store", f"the trust store {self.path}"), None
        entry = self.keys[signature["key_id"]]
        return self.usable_problem(entry, role, on), entry

    def usable_problem(self, entry: TrustedKey, role: str, on: dt.date | None = None) -> str | None:
        """Why `entry` cannot vouch for a `role` document on day `on` (revoked, another role, expired); None
        when it can."""
        if entry.key_id in self.revoked:
            r = self.revoked[entry.key_id]
            return f"key {entry.key_id} was revoked on {r.get('date')} ({r.get('reason') or 'no reason given'})"
        if entry.info.role != role:
            return f"key {entry.key_id} is a '{entry.info.role}' key; this needs a '{role}' key"
        if entry.info.expired(on):
            return f"key {entry.key_id} expired on {entry.info.expires}"
        return None


def load_trust_store(folder: str | os.PathLike) -> TrustStore:
    """Every key in the folder (none when it does not exist) and its revocation list; a key file or
    a revocation list that is not sound is refused with one line (the store is not half-read)."""
    folder = Path(folder)
    keys: dict[str, TrustedKey] = {}
    if folder.is_dir():
        for pem in sorted(folder.glob("*.pem")):
            key = load_public_key(pem)
            kid = key_id(raw_public(key))
            keys[kid] = TrustedKey(kid, key, key_info(pem, key), pem)
    public = {k: t.key for k, t in keys.items()}
    # a store that is gone holds no keys either: every check fails on that, not on its list
    revoked = read_revocations(folder / REVOKED, public) if folder.is_dir() else {}
    return TrustStore(folder, keys, revoked)


def trusted_keys(folder: Path, role: str | None = None) -> dict[str, Ed25519PublicKey]:
    """key id -> public key of every usable key in the folder: not revoked, not expired, and of
    `role` when given (None: any role, as before roles existed; pass the role you verify for)."""
    store = load_trust_store(folder)
    return {k: t.key for k, t in store.keys.items()
            if store.usable_problem(t, role or t.info.role) is None}


def verify_trusted(document: dict[str, Any], signature: dict[str, Any], folder: str | os.PathLike | None, role: str,
                   what: str = "the document") -> str | None:
    """None when a usable `role` key of the trust store (trust_store_path(folder)) signed exactly
    `document`; else why not, in one line. For other signed documents (saved reference scores)."""
    problem, _ = load_trust_store(trust_store_path(folder)).check(document, signature, role, what=what,
                                                                  body="the file")
    return problem
