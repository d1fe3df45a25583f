"""Key files: an ed25519 key in PEM, after one line that says what the key is for and until when:

    cleftedge-key-info: {"created": "2026-12-01", "expires": "2028-11-30", "key_id": "...",
                         "public_key": "<base64>", "role": "bundle", "self_signature": "<base64>"}
    -----BEGIN PUBLIC KEY-----            (or PRIVATE KEY / ENCRYPTED PRIVATE KEY)

The line is signed by the key itself, so nobody without the private key can change a key's role
or move its expiry. `cleftedge keys generate` writes it into both files; a PEM without it (made by
an older cleftedge or by another tool) is a "bundle" key that never expires."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.errors import CleftEdgeError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

INFO_TAG = "cleftedge-key-info:"
ROLES = ("bundle", "scores")  # bundle: signs bundle manifests; scores: signs saved reference scores
DEFAULT_ROLE = "bundle"
INFO_FIELDS = ("created", "expires", "key_id", "public_key", "role")


def key_id(public_raw: bytes) -> str:
    """A key's id: the first 16 hex digits of the SHA-256 of its raw public bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an ed25519 public key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def today() -> dt.date:
    """Today's date in UTC (the day key expiry is judged on)."""
    return dt.datetime.now(dt.timezone.utc).date()


@dataclass(frozen=True)
class KeyInfo:
    """What a key file declares about its key. `expires` is an ISO date: the key is valid through
    that day (UTC) and refused from the next one."""

    key_id: str
    role: str
    expires: str | None
    created: str | None
    declared: bool  # False: a bare PEM without the info line

    def expired(self, on: dt.date | None = None) -> bool:
        """Whether the key has expired on day `on` (default: today, UTC)."""
        return self.expires is not None and (on or today()) > dt.date.fromisoformat(self.expires)

    def days_left(self, on: dt.date | None = None) -> int | None:
        """Days from `on` (default: today) to the expiry; None for a key that never expires."""
        return None if self.expires is None else (dt.date.fromisoformat(self.expires) - (on or today())).days

    def validity(self, on: dt.date | None = None) -> str:
        """The key's validity in words: "no expiry", "EXPIRED on ..." or "valid through ... (N days left)"."""
        if self.expires is None:
            return "no expiry" + ("" if self.declared else " (a bare PEM: no key-info line)")
        if self.expired(on):
            return f"EXPIRED on {self.expires}"
        return f"valid through {self.expires} ({self.days_left(on)} days left)"

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON object (for `keys show --json` and the events)."""
        return {"key_id": self.key_id, "role": self.role, "expires": self.expires, "created": self.created,
                "declared": self.declared}


def split_key_file(path: Path) -> tuple[dict[str, Any] | None, bytes]:
    """(the parsed info line or None, the PEM block) of a key file."""
    data = path.read_bytes()
    first, _, rest = data.partition(b"\n")
    if not first.startswith(INFO_TAG.encode()):
        return None, data
    try:
        info = json.loads(first[len(INFO_TAG):].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CleftEdgeError(f"{path}: its {INFO_TAG} line is not valid JSON ({exc})", "the line 'cleftedge keys "
                             "generate' wrote", "use the key files as generated; never edit them") from None
    if not isinstance(info, dict):
        raise CleftEdgeError(f"{path}: its {INFO_TAG} line is not a JSON object", "the line 'cleftedge keys "
                             "generate' wrote", "use the key files as generated; never edit them")
    return info, rest


def info_message(info: dict[str, Any]) -> bytes:
    """The bytes the self-signature covers: every field but the signature, canonical JSON."""
    return json.dumps({k: info.get(k) for k in INFO_FIELDS}, sort_keys=True, separators=(",", ":")).encode()


def make_info(private_key: Ed25519PrivateKey, role: str, expires: str | None, created: str) -> dict[str, Any]:
    """A new key's info line (as a dict), signed by the key itself; a role outside ROLES is refused."""
    if role not in ROLES:
        raise CleftEdgeError(f"key role '{role}'", "one of " + ", ".join(ROLES), "pass --role bundle or --role scores")
    raw = raw_public(private_key.public_key())
    info = {"created": created, "expires": expires, "key_id": key_id(raw), "public_key": base64.b64encode(raw).decode(),
            "role": role}
    info["self_signature"] = base64.b64encode(private_key.sign(info_message(info))).decode()
    return info


def info_line(info: dict[str, Any]) -> bytes:
    """The info line as it is written at the top of both key files."""
    return f"{INFO_TAG} {json.dumps(info, sort_keys=True)}\n".encode()


def check_info(info: dict[str, Any] | None, public_raw: bytes | None, path: Path) -> KeyInfo:
    """The KeyInfo of a key file, after checking its info line against the key (its id and its
    self-signature); `public_raw` None (an encrypted private key) checks it against the public key
    the line names."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if info is None:
        if public_raw is None:
            raise CleftEdgeError(f"{path} is encrypted and has no {INFO_TAG} line", "a key made by 'cleftedge keys "
                                 "generate'", "give the passphrase to read the key")
        return KeyInfo(key_id(public_raw), DEFAULT_ROLE, None, None, declared=False)
    edited = CleftEdgeError(f"{path}: its {INFO_TAG} line does not belong to this key or was edited after the key "
                            "was made (its self-signature does not match)", "the line as 'cleftedge keys generate' "
                            "wrote it", "use the key files as generated; to change a role or an expiry, make a new key")
    try:
        named = base64.b64decode(str(info.get("public_key", "")), validate=True)
        if public_raw is not None and named != public_raw:
            raise edited
        Ed25519PublicKey.from_public_bytes(named).verify(base64.b64decode(str(info.get("self_signature", ""))),
                                                         info_message(info))
    except (InvalidSignature, ValueError, TypeError):
        raise edited from None
    if info.get("key_id") != key_id(named) or info.get("role") not in ROLES or not _is_date(info.get("expires"), True):
        raise edited
    return KeyInfo(info["key_id"], info["role"], info.get("expires"), info.get("created"), declared=True)


def _is_date(value: object, optional: bool) -> bool:
    if value is None:
        return optional
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def parse_expiry(text: str) -> str:
    """A --expires value (YYYY-MM-DD) checked and normalised."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CleftEdgeError(f"--expires {text!r}", "a date YYYY-MM-DD (the key is valid through that day, UTC)",
                             "e.g. --expires 2028-12-31") from None


def write_key_pair(out: Path, name: str, role: str = DEFAULT_ROLE, expires: str | None = None,
                   secret: bytes | None = None, created: str | None = None) -> tuple[Path, Path, dict[str, Any]]:
    """NAME.key.pem (private, created 0600 and exclusively; encrypted with `secret` when given) and
    NAME.pub.pem, each after the signed info line. Never overwrites a key."""
    import os

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    from cleftedge.atomic import write_bytes

    private, public = out / f"{name}.key.pem", out / f"{name}.pub.pem"
    if private.exists() or public.exists():
        raise CleftEdgeError(f"{private} or {public} already exists", "a folder without this key pair",
                             "choose another --out or --name (never overwrite a signing key)")
    key = Ed25519PrivateKey.generate()
    info = make_info(key, role, expires, created or today().isoformat())
    line = info_line(info)
    out.mkdir(parents=True, exist_ok=True)
    encryption = BestAvailableEncryption(secret) if secret else NoEncryption()
    # created 0600 and exclusively: the private key is never readable by others, not even for a moment
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(line + key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption))
    write_bytes(public, line + key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private, public, info
