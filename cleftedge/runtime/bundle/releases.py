"""No rollback: every bundle carries a release number per model name (manifest "release", set by
`cleftedge build --release N`); the cart records the highest release of each model it has run and
refuses an older one unless --allow-rollback.

The record is `releases.json` in the cart's state folder: $CLEFTEDGE_STATE, else
$XDG_STATE_HOME/cleftedge, else ~/.local/state/cleftedge (a service sets CLEFTEDGE_STATE, e.g.
/var/lib/cleftedge). The folder must be private to the cart's user: whoever can rewrite the record
can roll the cart back."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.private_dirs import ensure_private_dir

ENV = "CLEFTEDGE_STATE"
FILE = "releases.json"
KIND = "cleftedge.cart_releases"


def state_dir() -> Path:
    """Where the cart keeps its release record: $CLEFTEDGE_STATE, else $XDG_STATE_HOME/cleftedge, else
    ~/.local/state/cleftedge."""
    given = os.environ.get(ENV)
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "cleftedge"


def release_of(manifest: dict) -> int:
    """The manifest's release; 0 for a bundle made before releases existed (schema 1)."""
    value = manifest.get("release", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def read_record(path: Path, kind: str = KIND, table: str = "models", what: str = "release record",
                forgets: str = "every release this cart has run") -> dict:
    """A record of the state folder ({kind, schema, `table`: {...}}), empty when missing; refused
    with one line when damaged (removing it forgets `forgets`)."""
    if not path.exists():
        return {"kind": kind, "schema": 1, table: {}}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        doc = {"error": str(exc)}
    if not isinstance(doc, dict) or doc.get("kind") != kind or not isinstance(doc.get(table), dict):
        raise CleftEdgeError(f"the cart's {what} {path} is damaged", "the file cleftedge writes there",
                             f"restore it from a backup; removing it forgets {forgets}")
    return doc


@contextlib.contextmanager
def locked_record(name: str = FILE) -> Iterator[Path]:
    """The path of the record `name` in the state folder, locked against another cleftedge on this
    cart (a lock file per record)."""
    folder = ensure_private_dir(state_dir(), "cart state folder")
    with open(folder / (name + ".lock"), "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no lock
            pass
        yield folder / name


def highest_run(model_name: str) -> dict | None:
    """{release, engine_sha256, run} of the highest release of `model_name` run here, or None."""
    with locked_record() as path:
        entry = read_record(path)["models"].get(model_name)
    return entry if isinstance(entry, dict) else None


def record_run(model_name: str, release: int, engine_sha256: str) -> None:
    """Remember that this release ran, when it is the highest so far (a rollback never lowers it)."""
    from cleftedge.atomic import write_text

    with locked_record() as path:
        doc = read_record(path)
        entry = doc["models"].get(model_name)
        if isinstance(entry, dict) and entry.get("release", 0) >= release:
            return
        doc["models"][model_name] = {"release": release, "engine_sha256": engine_sha256,
                                     "run": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def rollback_problem(manifest: dict) -> tuple[str | None, str, int | None]:
    """(why this bundle would be a rollback or None, the line when it is not, the highest release run)."""
    name, release = manifest["model"]["name"], release_of(manifest)
    entry = highest_run(name)
    highest = entry.get("release") if entry else None
    if not isinstance(highest, int) or release >= highest:
        return None, f"release {release} of {name} (highest run on this cart: {highest or 'none yet'})", highest
    return (f"release {release} of {name} is older than release {highest}, already run on this cart "
            f"(a rollback)"), "", highest
