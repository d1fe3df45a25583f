"""`cleftedge keys generate`: an ed25519 key pair for signing bundles (on the signing host)."""

from __future__ import annotations

import os
from pathlib import Path

from cleftedge.cli import add_command, add_group
from cleftedge.errors import CleftEdgeError


def register(sub) -> None:
    group = add_group(sub, "keys", "signing keys for bundles",
                      "ed25519 signing keys. The private key stays on the signing host; the public "
                      "key goes into each cart's trust store.",
                      "cleftedge keys generate --out keys/")
    g = add_command(group, "generate", "write NAME.key.pem (private, 0600) and NAME.pub.pem",
                    "cleftedge keys generate --out keys/ --name site-signing", _generate)
    g.add_argument("--out", required=True, help="folder for the key pair")
    g.add_argument("--name", default="cleftedge-signing", help="file name stem (default cleftedge-signing)")


def _generate(args) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    from cleftedge.atomic import write_bytes
    from cleftedge.runtime.bundle.signing import key_id, raw_public

    out = Path(args.out)
    private, public = out / f"{args.name}.key.pem", out / f"{args.name}.pub.pem"
    if private.exists() or public.exists():
        raise CleftEdgeError(f"{private} or {public} already exists", "a folder without this key pair",
                             "choose another --out or --name (never overwrite a signing key)")
    key = Ed25519PrivateKey.generate()
    out.mkdir(parents=True, exist_ok=True)
    # created 0600 and exclusively: the private key is never readable by others, not even for a moment
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    write_bytes(public, key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    print(f"private key {private} (keep it on the signing host)")
    print(f"public key  {public} (copy it into each cart's trust store); key id {key_id(raw_public(key.public_key()))}")
    return 0
