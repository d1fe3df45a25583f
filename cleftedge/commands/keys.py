"""`cleftedge keys generate|show|revoke`: ed25519 signing keys with a role and an expiry (on the
signing host), and the revocation list carts read from their trust store."""

from __future__ import annotations

import json
from pathlib import Path

from cleftedge.cli import add_command, add_group
from cleftedge.errors import CleftEdgeError

DEFAULT_VALID_DAYS = 730


def register(sub) -> None:
    """Add `cleftedge keys` and its flags to the CLI's subparsers (`sub`)."""
    group = add_group(sub, "keys", "signing keys for bundles and reference scores",
                      "ed25519 signing keys, each with a role (bundle or scores) and an expiry. The private key "
                      "stays on the signing host; the public key goes into each cart's trust store. Passphrases "
                      "come from --passphrase-file or $CLEFTEDGE_KEY_PASSPHRASE, never from a flag.",
                      "cleftedge keys generate --out keys/")
    g = add_command(group, "generate", "write NAME.key.pem (private, 0600) and NAME.pub.pem",
                    "cleftedge keys generate --out keys/ --name site-signing --role bundle --expires 2028-12-31",
                    _generate)
    g.add_argument("--out", required=True, help="folder for the key pair")
    g.add_argument("--name", default="cleftedge-signing", help="file name stem (default cleftedge-signing)")
    g.add_argument("--role", default="bundle", choices=("bundle", "scores"),
                   help="what the key signs: bundle manifests (default) or saved reference scores")
    g.add_argument("--expires", metavar="YYYY-MM-DD", help="last day the key is valid (UTC); default: "
                   f"{DEFAULT_VALID_DAYS} days from today")
    g.add_argument("--passphrase-file", metavar="FILE", help="encrypt the private key with the passphrase in FILE "
                   "(or set $CLEFTEDGE_KEY_PASSPHRASE)")
    s = add_command(group, "show", "print a key's id, role and expiry (public or private key file)",
                    "cleftedge keys show keys/cleftedge-signing.pub.pem", _show)
    s.add_argument("key", help="a .pub.pem or .key.pem file")
    s.add_argument("--json", action="store_true")
    r = add_command(group, "revoke", "add a key to a signed revocation list (revoked.json) for the trust stores",
                    "cleftedge keys revoke keys/old.pub.pem --list revoked.json --key keys/new.key.pem "
                    "--reason 'laptop lost'", _revoke)
    r.add_argument("revoked", metavar="KEY", help="the key to revoke: its .pem file or its key id")
    r.add_argument("--list", required=True, help="the revocation list to create or extend (copy it into each "
                   "cart's trust store as revoked.json)")
    r.add_argument("--key", required=True, help="the private key that signs the list (its public key must be in "
                   "the carts' trust stores)")
    r.add_argument("--reason", default="", help="why, for the record")
    r.add_argument("--passphrase-file", metavar="FILE", help="passphrase of an encrypted --key")


def _generate(args) -> int:
    import datetime as dt

    from cleftedge.runtime.bundle.keyfile import parse_expiry, today, write_key_pair
    from cleftedge.runtime.bundle.signing import passphrase

    expires = parse_expiry(args.expires) if args.expires else \
        (today() + dt.timedelta(days=DEFAULT_VALID_DAYS)).isoformat()
    if dt.date.fromisoformat(expires) < today():
        raise CleftEdgeError(f"--expires {expires} is in the past", "a date from today on", "pick a later date")
    secret = passphrase(args.passphrase_file)
    private, public, info = write_key_pair(Path(args.out), args.name, args.role, expires, secret)
    print(f"private key {private} ({'encrypted' if secret else 'NOT encrypted'}; keep it on the signing host)")
    print(f"public key  {public} (copy it into each cart's trust store); key id {info['key_id']}, role {args.role}, "
          f"valid through {expires}")
    return 0


def _show(args) -> int:
    from cleftedge.runtime.bundle.keyfile import split_key_file
    from cleftedge.runtime.bundle.signing import key_info

    path = Path(args.key)
    if not path.is_file():
        raise CleftEdgeError(f"key file {path} does not exist", "a .pub.pem or .key.pem file", "check the path")
    _, pem = split_key_file(path)
    head = pem.split(b"\n", 1)[0]
    kind = "private key, encrypted" if b"ENCRYPTED" in head else "private key" if b"PRIVATE" in head else "public key"
    info = key_info(path)
    if args.json:
        print(json.dumps({"file": str(path), "kind": kind, **info.to_dict(), "validity": info.validity()}, indent=2))
        return 0
    print(f"{path}: {kind}")
    print(f"  key id   {info.key_id}")
    print(f"  role     {info.role}")
    print(f"  expires  {info.expires or '-'}  ({info.validity()})")
    print(f"  created  {info.created or '-'}")
    return 0


def _revoke(args) -> int:
    from cleftedge.runtime.bundle.revocation import revoke
    from cleftedge.runtime.bundle.signing import key_info, load_private_key

    target = Path(args.revoked)
    revoked_id = key_info(target).key_id if target.is_file() else args.revoked
    signer = load_private_key(args.key, args.passphrase_file)
    doc = revoke(Path(args.list), revoked_id, args.reason, signer)
    print(f"revoked key {revoked_id} in {args.list} (version {doc['version']}, {len(doc['revoked'])} revoked in "
          f"all), signed by key {doc['signature']['key_id']}; copy it into each cart's trust store as revoked.json")
    return 0
