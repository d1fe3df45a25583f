"""ed25519 signatures over a bundle's manifest (cryptography). Verification runs on the cart;
key generation and signing run on a signing host, so the private key never goes near a cart."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cleftedge.errors import CleftEdgeError

SIGNATURE_FILE = "signature.json"


def canonical(manifest: dict) -> bytes:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _load_key(path: str | os.PathLike, private: bool):
    """An ed25519 key from a PEM file, or one line saying what is wrong with the file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

    p = Path(path)
    kind, made = ("private", ".key.pem") if private else ("public", ".pub.pem")
    if not p.is_file():
        raise CleftEdgeError(f"{kind} key {p} does not exist", f"the {made} made by 'cleftedge keys generate'",
                             "check --key" if private else "check the trust store")
    try:
        data = p.read_bytes()
        key = load_pem_private_key(data, password=None) if private else load_pem_public_key(data)
    except (ValueError, TypeError, OSError) as exc:
        what = "an unencrypted PEM private key" if private else "a PEM public key"
        raise CleftEdgeError(f"{p} is not {what} ({exc})", f"an ed25519 {kind} key ({made})",
                             f"use the {made} made by 'cleftedge keys generate'") from None
    if not isinstance(key, Ed25519PrivateKey if private else Ed25519PublicKey):
        raise CleftEdgeError(f"{p} is not an ed25519 key", f"an ed25519 {kind} key", "use 'cleftedge keys generate'")
    return key


def load_public_key(path: Path):
    return _load_key(path, private=False)


def load_private_key(path: str | os.PathLike):
    return _load_key(path, private=True)


def raw_public(public_key) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_manifest(manifest: dict, private_key) -> dict:
    pub = raw_public(private_key.public_key())
    return {"algorithm": "ed25519", "key_id": key_id(pub), "public_key": base64.b64encode(pub).decode(),
            "signature": base64.b64encode(private_key.sign(canonical(manifest))).decode()}


def verify_signature(manifest: dict, signature: dict, trusted: dict[str, object], what: str = "the bundle",
                     body: str = "the manifest") -> str | None:
    """None when a trusted key signed exactly this manifest (or any document); else why not (one line)."""
    from cryptography.exceptions import InvalidSignature

    if signature.get("algorithm") != "ed25519":
        return f"signature algorithm {signature.get('algorithm')!r} is not ed25519"
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


def sign_document(doc: dict, private_key) -> dict:
    """The document with an embedded "signature" over all its other keys."""
    body = {k: v for k, v in doc.items() if k != DOCUMENT_SIGNATURE}
    return {**body, DOCUMENT_SIGNATURE: sign_manifest(body, private_key)}


def document_signature_problem(doc: dict, trusted: dict[str, object], what: str) -> str | None:
    """None when a trusted key signed exactly this document; else why not (one line)."""
    signature = doc.get(DOCUMENT_SIGNATURE)
    if not isinstance(signature, dict):
        return f"{what} is not signed"
    body = {k: v for k, v in doc.items() if k != DOCUMENT_SIGNATURE}
    return verify_signature(body, signature, trusted, what, "the file")
