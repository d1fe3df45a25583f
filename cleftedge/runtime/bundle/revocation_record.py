"""No rollback of a revocation list: each `revoked.json` carries a signed `version` (raised by
every `keys revoke`); the cart records the highest version it has accepted for each trust store
and refuses an older list, another list at the same version, or no list at all once it has
accepted one (as TUF does for its metadata).

The record is `revocations.json` in the cart's state folder (releases.py: $CLEFTEDGE_STATE, ...),
not in the trust store: the trust store is root-owned on a cart, and whoever can put an old list
into it could as well put back an old record beside it. A list without `version` (written by an
older cleftedge) is version 0: accepted only while this cart has accepted no versioned list for
that store, and never recorded (so rollbacks among unversioned lists are not detected)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from cleftedge.errors import CleftEdgeError

REVOKED = "revoked.json"  # the trust store's revocation list (revocation.py reads and writes it)

FILE = "revocations.json"
KIND = "cleftedge.cart_revocations"
FIX = "copy the newest list from the signing host into the trust store as revoked.json"


def digest(body: dict[str, Any]) -> str:
    """SHA-256 of the list's signed body (its canonical JSON)."""
    from cleftedge.runtime.bundle.signing import canonical

    return hashlib.sha256(canonical(body)).hexdigest()


def check_and_record(store: Path, version: int | None, body_sha256: str | None = None) -> None:
    """Refuse (one line) the list of trust store `store` at `version` (None: the store has no list)
    when the cart accepted a newer one, or this version with other contents; record it when it is
    the highest so far. A store without a list and a cart without a record touch nothing."""
    from cleftedge.atomic import write_text
    from cleftedge.runtime.bundle.releases import locked_record, read_record, state_dir

    if version is None and not (state_dir() / FILE).exists():
        return
    key = str(store.resolve())
    with locked_record(FILE) as path:
        doc = read_record(path, KIND, "stores", "revocation record",
                          "which revocation lists this cart has accepted")
        seen = doc["stores"].get(key)
        highest = seen.get("version") if isinstance(seen, dict) else None
        if isinstance(highest, int) and highest >= 1:
            when = f"on {seen.get('accepted', '?')[:10]}"
            if version is None:
                raise CleftEdgeError(f"the trust store {store} has no {REVOKED}, but this cart accepted "
                                     f"version {highest} of its revocation list {when} (a rollback)",
                                     f"version {highest} or newer", FIX)
            if version < highest:
                raise CleftEdgeError(f"the revocation list in {store} is version {version}, older than version "
                                     f"{highest}, already accepted on this cart {when} (a rollback)",
                                     f"version {highest} or newer", FIX)
            if version == highest and seen.get("sha256") != body_sha256:
                raise CleftEdgeError(f"the revocation list in {store} is version {version} with other contents "
                                     f"than the version {highest} this cart accepted {when}",
                                     "one list per version, as 'cleftedge keys revoke' raises it",
                                     "make every new list from the signing host's newest list, then " + FIX)
            if version == highest:
                return
        if version is None or version < 1:
            return
        doc["stores"][key] = {"version": version, "sha256": body_sha256,
                              "accepted": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")

