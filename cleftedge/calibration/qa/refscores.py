"""Saved reference scores: computed once in true FP32 on a build host, bound to the SHA-256 of the
reference model file and to the QA set's content hash, so that QA can run on a cart that has only
the candidate's backend. A file whose hashes do not match is refused: scores of another model or
of another data set would judge the candidate against the wrong answers."""

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


@dataclass
class ReferenceScores:
    reference_sha256: str
    data_hash: str
    threshold: float
    backend: dict
    scores: dict[str, float]  # key -> score

    def lookup(self, keys: list[str], source: str) -> np.ndarray:
        missing = [k for k in keys if k not in self.scores]
        if missing:
            raise CleftEdgeError(f"{source} has no score for frame '{missing[0]}' ({len(missing)} missing)",
                                 "a score for every frame of the QA set",
                                 "recompute it with --save-reference-scores on this data set")
        return np.array([self.scores[k] for k in keys], dtype=np.float64)


def save_reference_scores(path: str | Path, reference_sha256: str, data_hash: str, keys: list[str],
                          scores: np.ndarray, threshold: float, backend: dict) -> None:
    doc = {"kind": KIND, "schema": SCHEMA, "reference_sha256": reference_sha256, "data_hash": data_hash,
           "threshold": float(threshold), "backend": backend, "frames": len(keys),
           "keys": list(keys), "scores": [float(s) for s in scores]}
    write_text(path, json.dumps(doc, indent=None, separators=(",", ":")) + "\n")


def _refuse(path: Path, what: str, expected: str) -> CleftEdgeError:
    return CleftEdgeError(f"reference scores {path}: {what}", expected,
                          "recompute them with 'cleftedge qa ... --save-reference-scores FILE' on the build host "
                          "for this reference model and this data set")


def load_reference_scores(path: str | Path, reference_sha256: str, data_hash: str) -> ReferenceScores:
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
    backend = doc.get("backend") if isinstance(doc.get("backend"), dict) else {}
    return ReferenceScores(reference_sha256, data_hash, float(threshold), backend, table)
