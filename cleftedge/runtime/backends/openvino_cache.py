"""The OpenVINO compiled-model cache: a second start imports the compiled model instead of compiling
it again. It is cleftedge's own, not OpenVINO's CACHE_DIR, so that what the cart loads is checked:

- keyed by the engine's SHA-256 (the bundle's engine identity), the OpenVINO version, the device
  and every compile option, so a changed engine or an upgraded OpenVINO never meets an old blob;
- kept in a folder private to this user (created 0700; a folder another user or a group can write
  to is not used at all);
- each blob's SHA-256 is recorded beside it when it is written and checked before every import: a
  blob that does not match is not loaded (the model is compiled again and the blob rewritten).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KIND = "cleftedge.openvino_compiled"


def default_cache_dir() -> str:
    """Where compiled OpenVINO models are kept: $CLEFTEDGE_CACHE/openvino, else ~/.cache/cleftedge/openvino."""
    root = os.environ.get("CLEFTEDGE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "cleftedge")
    return os.path.join(root, "openvino")


@dataclass(frozen=True)
class CompiledCache:
    folder: Path | None  # None: no cache (turned off, or the folder is not private)
    why_off: str = ""

    @classmethod
    def at(cls, option: str | os.PathLike | None) -> CompiledCache:
        """The cache for the backend's cache_dir option: None -> the default folder, "" -> off."""
        from cleftedge.runtime.private_dirs import private_dir_or_none

        if option is not None and str(option) == "":
            return cls(None, "turned off")
        folder, why = private_dir_or_none(Path(default_cache_dir() if option is None else option))
        return cls(folder, f"not used: {why}" if why else "")

    def key(self, identity: dict[str, Any]) -> str:
        """The cache entry's name for an identity (model hash, device, options...): 32 hex digits of its SHA-256."""
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]

    def load(self, core: Any, identity: dict[str, Any], device: str, config: dict) -> tuple[Any, str]:
        """(the compiled model, "hit") when a blob for exactly this identity exists and matches the
        hash recorded when it was written; else (None, why not)."""
        if self.folder is None:
            return None, self.why_off
        key = self.key(identity)
        blob, record = self.folder / f"{key}.blob", self.folder / f"{key}.json"
        if not record.is_file() or not blob.is_file():
            return None, "miss"
        try:
            meta = json.loads(record.read_text(encoding="utf-8"))
            data = blob.read_bytes()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None, "rejected: unreadable record; compiled again"
        if not isinstance(meta, dict) or meta.get("kind") != KIND or meta.get("identity") != identity:
            return None, "rejected: the record is for another engine or OpenVINO; compiled again"
        if hashlib.sha256(data).hexdigest() != meta.get("blob_sha256"):
            return None, "rejected: the blob does not match the SHA-256 recorded when it was written; compiled again"
        try:
            return core.import_model(data, device, config), "hit"
        except Exception:  # a blob OpenVINO cannot import (e.g. written by another build of it)
            return None, "rejected: OpenVINO could not import it; compiled again"

    def store(self, compiled: Any, identity: dict[str, Any], status: str) -> str:
        """Write the compiled model and its record (blob first, the record last: a record always
        describes a whole blob); return the cache status to report."""
        from cleftedge.atomic import write_bytes, write_text

        if self.folder is None:
            return status
        try:
            data = compiled.export_model()
            data = data.getvalue() if hasattr(data, "getvalue") else bytes(data)
            key = self.key(identity)
            write_bytes(self.folder / f"{key}.blob", data)
            write_text(self.folder / f"{key}.json", json.dumps(
                {"kind": KIND, "identity": identity, "blob_sha256": hashlib.sha256(data).hexdigest(),
                 "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=1, sort_keys=True) + "\n")
        except Exception as exc:  # a device that cannot export, a full disk: run without the cache
            return f"not written ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})"
        return "written" if status == "miss" else f"{status}; rewritten"
