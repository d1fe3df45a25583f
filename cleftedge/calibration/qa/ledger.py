"""The QA ledger: every QA run on a locked set is counted, so that tuning against the locked set
shows. One JSON line per run in `<ledger>/<data content hash>.jsonl` (a local file beside the set's
hash), appended under a lock; the report and the attestation carry how many times this reference
was judged on this data hash, this run included.

Where: --ledger DIR, else $CLEFTEDGE_QA_LEDGER, else ~/.local/share/cleftedge/qa-ledger."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cleftedge.errors import CleftEdgeError

ENV = "CLEFTEDGE_QA_LEDGER"


def ledger_dir(given: str | os.PathLike | None = None) -> Path:
    """The QA ledger's folder: `given`, else $CLEFTEDGE_QA_LEDGER, else ~/.local/share/cleftedge/qa-ledger."""
    if given:
        return Path(given)
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return Path.home() / ".local" / "share" / "cleftedge" / "qa-ledger"


@contextmanager
def _locked(f: IO[str]) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): appends of one short line stay whole
        yield
        return
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(f, fcntl.LOCK_UN)


def record_run(data_hash: str, reference_sha256: str, candidate_sha256: str, result: str, policy_sha256: str,
               folder: str | os.PathLike | None = None) -> dict:
    """Append this run; return the counts the report carries."""
    path = ledger_dir(folder) / f"{data_hash}.jsonl"
    entry = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reference_sha256": reference_sha256,
             "candidate_sha256": candidate_sha256, "result": result, "policy_sha256": policy_sha256}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+", encoding="utf-8") as f, _locked(f):
            f.seek(0)
            past = [json.loads(line) for line in f if line.strip().startswith("{")]
            f.write(json.dumps(entry, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except (OSError, json.JSONDecodeError) as exc:
        raise CleftEdgeError(f"cannot count this QA run in the ledger {path} ({exc})",
                             "a writable ledger folder (every QA run on a locked set is counted)",
                             f"give --ledger DIR or set {ENV}, or repair the ledger file") from None
    runs = past + [entry]
    mine = [r for r in runs if r.get("reference_sha256") == reference_sha256]
    return {"path": str(path), "runs_on_this_data": len(mine), "runs_on_this_data_any_reference": len(runs),
            "candidates_judged": len({r.get("candidate_sha256") for r in mine}),
            "first_run": mine[0].get("created")}
