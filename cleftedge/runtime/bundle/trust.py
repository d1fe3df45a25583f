"""The trust store: a folder of ed25519 public keys (*.pem) the cart accepts signatures from.
Location: --trust-store DIR, else $CLEFTEDGE_TRUST_STORE, else /etc/cleftedge/trust."""

from __future__ import annotations

import os
from pathlib import Path

from cleftedge.runtime.bundle.signing import key_id, load_public_key, raw_public

DEFAULT_TRUST_STORE = Path("/etc/cleftedge/trust")
ENV = "CLEFTEDGE_TRUST_STORE"


def trust_store_path(given: str | os.PathLike | None = None) -> Path:
    if given:
        return Path(given)
    return Path(os.environ.get(ENV) or DEFAULT_TRUST_STORE)


def trusted_keys(folder: Path) -> dict[str, object]:
    """key id -> public key, for every .pem in the folder (none when it does not exist)."""
    keys = {}
    if folder.is_dir():
        for pem in sorted(folder.glob("*.pem")):
            key = load_public_key(pem)
            keys[key_id(raw_public(key))] = key
    return keys
