"""Saved reference scores: computed once in true FP32 on a build host, bound to the SHA-256 of the
reference model file and to the QA set's content hash, so that QA can run on a cart that has only
the candidate's backend. A file whose hashes do not match is refused: scores of another model or
of another data set would judge the candidate against the wrong answers.

The hashes alone are no protection against an edited file that keeps them: the file is signed on
the signing host (`cleftedge scores sign FILE --key KEY`, an ed25519 signature inside the file over
all its other keys) and checked against the trust store when used, by the same rules as bundles.
An unsigned file is refused unless --allow-unsigned-scores, which the report and the attestation
record."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cleftedge.atomic import write_text
from cleftedge.errors import CleftEdgeError

KIND = "cleftedge.reference_scores"
SCHEMA = 1
ROLE = "scores"  # the trust-store role of the keys that sign reference scores


@dataclass
class ReferenceScores:
    reference_sha256: str
    data_hash: str
    threshold: float
    backend: dict
    scores: dict[str, float]  # key -> score
    signature: dict | None = None  # how the file's signature was checked (status, key id, trust store)

    def lookup(self, keys: list[str], source: str) -> np.ndarray:
        """The saved scores of these frame keys in order; one-line CleftEdgeError naming `source` for a missing key."""
        missing = [k for k in keys if k not in self.scores]
        if missing:
            raise CleftEdgeError(f"{source} has no score for frame '{missing[0]}' ({len(missing)} missing)",
                                 "a score for every frame of the QA set",
                                 "recompute it with --save-reference-scores on this data set")
        return np.array([self.scores[k] for k in keys], dtype=np.float64)


def save_reference_scores(path: str | Path, reference_sha256: str, data_hash: str, keys: list[str],
                          scores: np.ndarray, threshold: float, backend: dict) -> None:
    """Write the reference's scores of a QA set (unsigned: `sign_scores_file` signs them), bound to the
    reference model and the data set by their hashes; written whole or not at all."""
    doc = {"kind": KIND, "schema": SCHEMA, "reference_sha256": reference_sha256, "data_hash": data_hash,
           "threshold": float(threshold), "backend": backend, "frames": len(keys),
           "keys": list(keys), "scores": [float(s) for s in scores]}
    write_text(path, json.dumps(doc, indent=None, separators=(",", ":")) + "\n")


def _refuse(path: Path, what: str, expected: str) -> CleftEdgeError:
    return CleftEdgeError(f"reference scores {path}: {what}", expected,
                          "recompute them with 'cleftedge qa ... --save-reference-scores FILE' on the build host "
                          "for this reference model and this data set")


def read_scores_document(path: str | Path) -> dict:
    """The parsed reference-scores file (kind checked), or one line saying what is wrong with it."""
    p = Path(path)
    if not p.is_file():
        raise CleftEdgeError(f"reference scores file {p} does not exist", "a file written by --save-reference-scores",
                             "check the path given to --reference-scores")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _refuse(p, f"not valid JSON ({exc})", "a file written by --save-reference-scores") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise _refuse(p, "not a reference-scores file", f"kind '{KIND}'")
    if not isinstance(doc.get("schema"), int) or doc["schema"] > SCHEMA:
        raise _refuse(p, f"schema {doc.get('schema')!r} is not understood", f"schema {SCHEMA} or older")
    return doc


def check_signature(doc: dict, path: Path, trust_store: str | Path | None = None,
                    allow_unsigned: bool = False) -> dict:
    """Refuse a file no trusted key signed (unsigned only with allow_unsigned); say how it was checked."""
    from cleftedge.runtime.bundle.signing import DOCUMENT_SIGNATURE, document_signature_problem
    from cleftedge.runtime.bundle.trust import trust_store_path, trusted_keys

    store = trust_store_path(trust_store)
    if not isinstance(doc.get(DOCUMENT_SIGNATURE), dict):
        if allow_unsigned:
            return {"status": "unsigned_allowed", "key_id": None, "trust_store": None}
        raise CleftEdgeError(f"reference scores {path} are not signed", "scores signed on the signing host",
                             "sign them there with 'cleftedge scores sign FILE --key KEY', or pass "
                             "--allow-unsigned-scores (recorded in the report and the attestation)")
    keys = trusted_keys(store, role=ROLE)  # a bundle-signing key does not vouch for scores
    if not keys:
        where = "holds no keys" if store.is_dir() else "does not exist"
        raise CleftEdgeError(f"the trust store {store} {where}, so the signature of {path} cannot be checked",
                             "a trust store with the signing host's public key",
                             "give --trust-store DIR or set CLEFTEDGE_TRUST_STORE")
    problem = document_signature_problem(doc, keys, f"reference scores {path}")
    key_id = doc[DOCUMENT_SIGNATURE].get("key_id")
    if problem and key_id not in keys and key_id in trusted_keys(store):
        problem = (f"reference scores {path} are signed by key {key_id}, which the trust store holds for another "
                   f"role, not as a '{ROLE}' key")
    if problem:
        raise CleftEdgeError(problem, "reference scores signed by a trusted key and unchanged since",
                             "recompute and sign them on the build and signing hosts; never edit them")
    return {"status": "verified", "key_id": doc[DOCUMENT_SIGNATURE].get("key_id"), "trust_store": str(store)}


def load_reference_scores(path: str | Path, reference_sha256: str, data_hash: str,
                          trust_store: str | Path | None = None, allow_unsigned: bool = False) -> ReferenceScores:
    """The saved scores, refused unless signed by a trusted key (or allow_unsigned) and bound to
    this reference model and this data set."""
    p = Path(path)
    doc = read_scores_document(p)
    signature = check_signature(doc, p, trust_store, allow_unsigned)
    if doc.get("reference_sha256") != reference_sha256:
        raise _refuse(p, f"bound to reference model {str(doc.get('reference_sha256'))[:16]}…, "
                         f"not to the given --reference ({reference_sha256[:16]}…)",
                      "scores of the same reference model")
    if doc.get("data_hash") != data_hash:
        raise _refuse(p, f"bound to data set {str(doc.get('data_hash'))[:16]}…, not to the given --data "
                         f"({data_hash[:16]}…)", "scores of the same QA set")
    keys, scores = doc.get("keys"), doc.get("scores")
    if not isinstance(keys, list) or not isinstance(scores, list) or len(keys) != len(scores):
        raise _refuse(p, "keys and scores do not pair up", "two lists of the same length")
    table: dict[str, float] = {}
    for k, s in zip(keys, scores, strict=True):
        if not isinstance(k, str) or isinstance(s, bool) or not isinstance(s, (int, float)) \
                or not math.isfinite(s) or not 0.0 <= s <= 1.0:
            raise _refuse(p, f"entry {k!r}: {s!r}", "string keys with scores from 0 to 1")
        if k in table:
            raise _refuse(p, f"frame '{k}' appears twice", "one score per frame")
        table[k] = float(s)
    threshold = doc.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise _refuse(p, f"threshold {threshold!r}", "a probability from 0 to 1")
    backend = doc.get("backend")
    if not isinstance(backend, dict):
        backend = {}
    return ReferenceScores(reference_sha256, data_hash, float(threshold), backend, table, signature)


def sign_scores_file(path: str | Path, key_path: str | Path, out: str | Path | None = None,
                     passphrase_file: str | Path | None = None) -> tuple[str, list[str]]:
    """Sign a reference-scores file (in place, or into `out`) with a 'scores' key; return the key id
    and any warnings (a key close to its expiry)."""
    from cleftedge.runtime.bundle.signing import DOCUMENT_SIGNATURE, sign_as

    p = Path(path)
    doc = read_scores_document(p)
    body = {k: v for k, v in doc.items() if k != DOCUMENT_SIGNATURE}
    block, warnings = sign_as(body, key_path, ROLE, passphrase_file)
    write_text(out or p, json.dumps({**body, DOCUMENT_SIGNATURE: block}, indent=None, separators=(",", ":")) + "\n")
    return block["key_id"], warnings
