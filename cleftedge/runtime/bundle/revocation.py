"""The revocation list `revoked.json` in a trust store: the key ids a cart no longer accepts, signed
by a key of that store (so a list copied onto a fleet is the signing host's, not anyone's).

    {"kind": "cleftedge.revoked_keys", "schema": 1, "version": 3, "issued": "2026-12-01T10:00:00Z",
     "revoked": [{"key_id": "...", "reason": "laptop stolen", "date": "2026-12-01"}],
     "signature": {ed25519 block over the document without "signature"}}

`version` (signed) rises by one with every `keys revoke`; a cart refuses a list older than the
newest it has accepted (revocation_record.py). A list without it (an older cleftedge's) is version 0."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.revocation_record import REVOKED as REVOKED_FILE
from cleftedge.runtime.bundle.signing import sign_manifest, verify_signature

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

REVOKED = REVOKED_FILE  # the list's file name in a trust store
KIND = "cleftedge.revoked_keys"
KEY_ID = re.compile(r"^[0-9a-f]{16}$")


def _body(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "signature"}


def version_of(doc: dict[str, Any]) -> int | None:
    """The list's version: 0 when it has none (an older cleftedge's list), None when it is not a
    positive integer."""
    value = doc.get("version", 0)
    if "version" in doc and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        return None
    return value


def _read(path: Path) -> dict[str, Any]:
    from cleftedge.documents import read_json_object

    doc = read_json_object(path, "revocation list", "a revoked.json made by 'cleftedge keys revoke'",
                           "check the trust store", "make it again with 'cleftedge keys revoke'")
    entries = doc.get("revoked")
    if doc.get("kind") != KIND or not isinstance(doc.get("schema"), int) or doc["schema"] > 1 or \
            version_of(doc) is None or not isinstance(entries, list) or \
            not all(isinstance(e, dict) and isinstance(e.get("key_id"), str) for e in entries):
        raise CleftEdgeError(f"{path} is not a revocation list this cleftedge knows",
                             f"kind '{KIND}', schema 1, a version 1, 2, ... and a list 'revoked' of "
                             "{key_id, reason, date}",
                             "make it with 'cleftedge keys revoke'")
    return doc


def read_revocations(path: Path, keys: dict[str, Ed25519PublicKey]) -> dict[str, dict[str, Any]]:
    """key id -> revocation entry, from a list signed by one of `keys` (key id -> public key), at a
    version no older than the newest this cart has accepted for the store (none when `path` does not
    exist and the cart has accepted no list there)."""
    from cleftedge.runtime.bundle.revocation_record import check_and_record, digest

    if not path.exists():
        check_and_record(path.parent, None)
        return {}
    doc = _read(path)
    problem = verify_signature(_body(doc), doc.get("signature"), keys, "it", "the list")
    if problem:
        raise CleftEdgeError(f"the revocation list {path} cannot be trusted: {problem}",
                             "a revoked.json signed by a key of this trust store",
                             "sign it with 'cleftedge keys revoke --key' using a key the carts trust")
    check_and_record(path.parent, version_of(doc), digest(_body(doc)))
    return {e["key_id"]: e for e in doc["revoked"]}


def revoke(path: Path, key_id: str, reason: str, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Add `key_id` to the list at `path` (a new list when there is none), sign it with
    `private_key` and write it; return the list. The old list's entries are kept only when its own
    signature holds (by the key it names)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from cleftedge.atomic import write_text

    if not KEY_ID.match(key_id):
        raise CleftEdgeError(f"key id {key_id!r}", "16 hex digits as 'cleftedge keys show' prints, or a .pem file",
                             "check the key to revoke")
    entries: list[dict[str, Any]] = []
    version = 1
    if path.exists():
        old = _read(path)
        found = old.get("signature")
        sig: dict[str, Any] = found if isinstance(found, dict) else {}
        signer: Ed25519PublicKey | None
        try:
            signer = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(sig.get("public_key", ""))))
        except ValueError:
            signer = None
        # no key_id: refused, as verify_signature finds no key for it
        if signer is None or "key_id" not in sig or verify_signature(_body(old), sig, {sig["key_id"]: signer}, "it",
                                                                     "the list"):
            raise CleftEdgeError(f"the revocation list {path} does not match its own signature", "a list as "
                                 "'cleftedge keys revoke' wrote it", "restore it from the signing host's copy")
        entries = [e for e in old["revoked"] if e["key_id"] != key_id]
        version = (version_of(old) or 0) + 1
    entries.append({"key_id": key_id, "reason": reason, "date": time.strftime("%Y-%m-%d", time.gmtime())})
    doc = {"kind": KIND, "schema": 1, "version": version, "issued": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "revoked": sorted(entries, key=lambda e: e["key_id"])}
    doc["signature"] = sign_manifest(doc, private_key)
    write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc
