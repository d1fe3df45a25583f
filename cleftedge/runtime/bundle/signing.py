"""ed25519 signatures over JSON documents (a bundle's manifest, a revocation list, saved reference
scores) with cryptography. Verification runs on the cart; key generation and signing run on a
signing host, so the private key never goes near a cart.

A private key may be encrypted: its passphrase comes from a file (--passphrase-file) or from
$CLEFTEDGE_KEY_PASSPHRASE, never from a command-line flag (flags show up in `ps` and in shell
history)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.bundle.keyfile import KeyInfo, check_info, key_id, raw_public, split_key_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_FILE = "signature.json"
PASSPHRASE_ENV = "CLEFTEDGE_KEY_PASSPHRASE"
EXPIRY_WARNING_DAYS = 30


def canonical(manifest: dict[str, Any]) -> bytes:
    """The bytes a signature covers: sorted keys, no spaces, ASCII only."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def passphrase(passphrase_file: str | os.PathLike | None = None) -> bytes | None:
    """The passphrase for an encrypted private key: the file's first line, else $CLEFTEDGE_KEY_PASSPHRASE,
    else None."""
    if passphrase_file is not None:
        p = Path(passphrase_file)
        if not p.is_file():
            raise CleftEdgeError(f"passphrase file {p} does not exist", "a file holding the key's passphrase",
                                 "check --passphrase-file")
        text = p.read_bytes().split(b"\n", 1)[0].rstrip(b"\r")
    else:
        env = os.environ.get(PASSPHRASE_ENV)
        if env is None:
            return None
        text = env.encode()
    if not text:
        raise CleftEdgeError("the key passphrase is empty", "a non-empty passphrase",
                             f"put it in the --passphrase-file or in ${PASSPHRASE_ENV}")
    return text


@overload
def _load_key(path: str | os.PathLike, private: Literal[True], secret: bytes | None = None) -> Ed25519PrivateKey: ...
@overload
def _load_key(path: str | os.PathLike, private: Literal[False], secret: bytes | None = None) -> Ed25519PublicKey: ...
@overload
def _load_key(path: str | os.PathLike, private: bool,
              secret: bytes | None = None) -> Ed25519PrivateKey | Ed25519PublicKey: ...
def _load_key(path: str | os.PathLike, private: bool,
              secret: bytes | None = None) -> Ed25519PrivateKey | Ed25519PublicKey:
    """An ed25519 key from a key file, or one line saying what is wrong with the file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

    p = Path(path)
    kind, made = ("private", ".key.pem") if private else ("public", ".pub.pem")
    if not p.is_file():
        raise CleftEdgeError(f"{kind} key {p} does not exist", f"the {made} made by 'cleftedge keys generate'",
                             "check --key" if private else "check the trust store")
    _, pem = split_key_file(p)
    encrypted = private and b"ENCRYPTED" in pem.split(b"\n", 1)[0]
    if encrypted and secret is None:
        secret = passphrase()
        if secret is None:
            raise CleftEdgeError(f"private key {p} is encrypted and no passphrase was given",
                                 f"its passphrase in a file (--passphrase-file FILE) or in ${PASSPHRASE_ENV}",
                                 "never on the command line")
    try:
        key = load_pem_private_key(pem, password=secret if encrypted else None) if private else \
            load_pem_public_key(pem)
    except (ValueError, TypeError, OSError) as exc:
        if encrypted:
            raise CleftEdgeError(f"private key {p} cannot be decrypted with the passphrase given",
                                 "the passphrase it was generated with", "check the passphrase file or "
                                 f"${PASSPHRASE_ENV}") from None
        what = "a PEM private key" if private else "a PEM public key"
        raise CleftEdgeError(f"{p} is not {what} ({exc})", f"an ed25519 {kind} key ({made})",
                             f"use the {made} made by 'cleftedge keys generate'") from None
    if not isinstance(key, Ed25519PrivateKey if private else Ed25519PublicKey):
        raise CleftEdgeError(f"{p} is not an ed25519 key", f"an ed25519 {kind} key", "use 'cleftedge keys generate'")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The ed25519 public key of a .pub.pem, or one line saying what is wrong with the file."""
    return _load_key(path, private=False)


def load_private_key(path: str | os.PathLike,
                     passphrase_file: str | os.PathLike | None = None) -> Ed25519PrivateKey:
    """The private key; an encrypted one is opened with passphrase(passphrase_file)."""
    return _load_key(path, private=True, secret=passphrase(passphrase_file) if passphrase_file else None)


def key_info(path: str | os.PathLike, key: Ed25519PrivateKey | Ed25519PublicKey | None = None) -> KeyInfo:
    """The KeyInfo (id, role, expiry) of a public or private key file, checked against the key:
    `key` (already loaded) when given; an encrypted private key is checked against the public key
    its info line names."""
    p = Path(path)
    info, pem = split_key_file(p)
    if key is None and b"ENCRYPTED" not in pem.split(b"\n", 1)[0]:
        key = _load_key(p, private=b"PRIVATE" in pem.split(b"\n", 1)[0])
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = None if key is None else (key.public_key() if isinstance(key, Ed25519PrivateKey) else key)
    return check_info(info, None if public is None else raw_public(public), p)


def sign_as(document: dict[str, Any], key_path: str | os.PathLike, role: str,
            passphrase_file: str | os.PathLike | None = None) -> tuple[dict[str, str], list[str]]:
    """Sign `document` with the private key at key_path for `role` ("bundle", "scores"): refused
    when the key is for another role or has expired. Returns (signature block, warnings)."""
    key = load_private_key(key_path, passphrase_file)
    info = key_info(key_path, key)
    if info.role != role:
        raise CleftEdgeError(f"{key_path} is a '{info.role}' key", f"a '{role}' key to sign this",
                             f"use the key made with 'cleftedge keys generate --role {role}'")
    if info.expired():
        raise CleftEdgeError(f"{key_path} (key {info.key_id}) expired on {info.expires}", "a key that has not expired",
                             "make a new key (cleftedge keys generate), put its public key in the carts' trust "
                             "stores, and sign with it")
    warnings: list[str] = []
    left = info.days_left()
    if left is not None and left <= EXPIRY_WARNING_DAYS:
        warnings.append(f"key {info.key_id} expires on {info.expires} ({left} days): carts refuse its signatures "
                        "from the day after; make its successor now")
    return sign_manifest(document, key), warnings


def sign_manifest(manifest: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, str]:
    """A signature block over any JSON dict (canonical form)."""
    pub = raw_public(private_key.public_key())
    return {"algorithm": "ed25519", "key_id": key_id(pub), "public_key": base64.b64encode(pub).decode(),
            "signature": base64.b64encode(private_key.sign(canonical(manifest))).decode()}


def verify_signature(manifest: dict[str, Any], signature: object, trusted: dict[str, Ed25519PublicKey],
                     what: str = "the bundle", body: str = "the manifest") -> str | None:
    """None when a trusted key signed exactly this manifest (or any document); else why not (one line)."""
    from cryptography.exceptions import InvalidSignature

    if not isinstance(signature, dict) or signature.get("algorithm") != "ed25519":
        found = signature.get("algorithm") if isinstance(signature, dict) else signature
        return f"signature algorithm {found!r} is not ed25519"
    key = trusted.get(signature.get("key_id", ""))
    if key is None:
        return f"{what} is signed by key {signature.get('key_id')}, which is not in the trust store"
    try:
        key.verify(base64.b64decode(signature["signature"]), canonical(manifest))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return f"the signature does not match {body} (edited after signing, or a forged signature)"
    return None


# A JSON document that carries its own signature (reference scores): the signature covers the
# canonical JSON of every other key, and travels inside the file.
DOCUMENT_SIGNATURE = "signature"


def sign_document(doc: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The document with an embedded "signature" over all its other keys."""
    body = {k: v for k, v in doc.items() if k != DOCUMENT_SIGNATURE}
    return {**body, DOCUMENT_SIGNATURE: sign_manifest(body, private_key)}


def document_signature_problem(doc: dict[str, Any], trusted: dict[str, Ed25519PublicKey], what: str) -> str | None:
    """None when a trusted key signed exactly this document; else why not (one line)."""
    signature = doc.get(DOCUMENT_SIGNATURE)
    if not isinstance(signature, dict):
        return f"{what} is not signed"
    body = {k: v for k, v in doc.items() if k != DOCUMENT_SIGNATURE}
    return verify_signature(body, signature, trusted, what, "the file")
