"""A verified cache of a locked QA set's preprocessed tensors (`cleftedge qa --cache DIR`).

Decoding and preprocessing cost about 4.6 ms of CPU a frame, more than both models together; a fleet
re-runs the same locked set for every engine. The first run with --cache writes, beside its scoring,
every frame's input tensor (float32, exactly as the runtime's Preprocessor computed it) and its
perceptual hash into shards of SHARD frames (40 MB for a 128 x 160 input); later runs read them instead of the images.

The cache is keyed and checked, never trusted blindly: its index (cache.json) names the data set's
content hash, the frame keys in order (their SHA-256), the preprocessing (the spec's input section and
the cleftedge version that computed it) and every shard's SHA-256, which is checked on the very bytes
read before a tensor is used. A cache for another data set or another preprocessing, an edited shard
or a folder that is not a cache is refused with one line: it is never rebuilt over (delete the folder
to rebuild it). The index is not signed: whoever may write the folder could rewrite index and shards
together, so keep it where the locked set itself lies.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cleftedge import __version__
from cleftedge.atomic import write_text
from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import sha256_file

if TYPE_CHECKING:
    from cleftedge.spec import InputSpec

KIND = "cleftedge.tensor_cache"
SCHEMA = 1
INDEX = "cache.json"
SHARD = 512  # frames a shard (a multiple of the scorer's batch, so batches are those of a run without it)


def preprocessing_key(input_spec: InputSpec) -> dict:
    """What the cached tensors depend on besides the frames: the spec's input section and the code."""
    return json.loads(json.dumps({"input": asdict(input_spec), "cleftedge_version": __version__}))  # as stored


def keys_sha256(keys: Iterable[object]) -> str:
    """SHA-256 of the frame keys in order, one a line: binds the cache to the data set's frames."""
    return hashlib.sha256("\n".join(str(k) for k in keys).encode()).hexdigest()


def _refuse(root: Path, what: str) -> CleftEdgeError:
    return CleftEdgeError(f"tensor cache {root}: {what}", "the cache written for this locked set and this "
                          "preprocessing", "give --cache another folder, or delete this one to rebuild it "
                          "(it is never rebuilt over)")


def open_cache(root: str | Path, data_hash: str, keys: list[str],
               input_spec: InputSpec) -> CacheReader | CacheWriter:
    """A CacheReader when `root` holds this set's tensors for this preprocessing; a CacheWriter when
    `root` does not exist yet (or is an empty folder); else one line saying why it is refused."""
    root = Path(root)
    index = root / INDEX
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        return CacheWriter(root, data_hash, keys, input_spec)
    if not index.is_file():
        raise _refuse(root, f"the folder holds no {INDEX}, so it is not a tensor cache")
    try:
        doc = json.loads(index.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _refuse(root, f"{INDEX} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND or doc.get("schema") != SCHEMA:
        raise _refuse(root, f"{INDEX} is not a schema-{SCHEMA} {KIND} index")
    if doc.get("data_hash") != data_hash:
        raise _refuse(root, f"it holds the data set {str(doc.get('data_hash'))[:16]}…, not the given --data "
                            f"({data_hash[:16]}…)")
    want = preprocessing_key(input_spec)
    if doc.get("preprocessing") != want:
        got = doc.get("preprocessing") or {}
        diff = sorted(k for k in set(want["input"]) | set(got.get("input") or {})
                      if (got.get("input") or {}).get(k) != want["input"].get(k))
        what = f"input {', '.join(diff)}" if diff else f"cleftedge {got.get('cleftedge_version')}"
        raise _refuse(root, f"its tensors were preprocessed otherwise ({what} differ from this run's spec)")
    if doc.get("frames") != len(keys) or doc.get("keys_sha256") != keys_sha256(keys):
        raise _refuse(root, "its frame keys are not the data set's")
    shards = doc.get("shards")
    if not isinstance(shards, list) or sum(int(s.get("frames", 0)) for s in shards) != len(keys):
        raise _refuse(root, "its shards do not cover the data set")
    return CacheReader(root, shards, tuple(input_spec.shape))


class CacheReader:
    """The cached tensors, shard by shard (each checked against its SHA-256 on the bytes read; the
    next shard is read and checked ahead, on a thread, while the models score the current one)."""

    def __init__(self, root: Path, shards: list[dict], shape: tuple[int, ...]):
        self.root = root
        self.shards = shards
        self.shape = shape

    def _load(self, k: int, first: int) -> tuple[np.ndarray, np.ndarray]:
        entry = self.shards[k]
        name = str(entry.get("file", ""))
        path = self.root / name
        if Path(name).name != name or not path.is_file():
            raise _refuse(self.root, f"shard {name!r} is missing")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            raise _refuse(self.root, f"shard {name} does not match its SHA-256 in {INDEX} (edited or damaged)")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            tensors, hashes, start = z["tensors"], z["hashes"], int(z["first"])
        n = int(entry["frames"])
        if start != first or tensors.shape != (n, *self.shape) or tensors.dtype != np.float32 or hashes.shape != (n,):
            raise _refuse(self.root, f"shard {name} holds frames {start}.. of shape {tensors.shape}, not {n} "
                                     f"frames from {first} of shape {self.shape}")
        return tensors, hashes.astype(np.uint64)

    def batches(self, records: list, batch: int) -> Iterator[tuple[list, list[np.ndarray], np.ndarray]]:
        """(records, [tensors], hashes) in the data set's order, `batch` frames at a time."""
        firsts = np.cumsum([0] + [int(s["frames"]) for s in self.shards]).tolist()
        with ThreadPoolExecutor(1, thread_name_prefix="qa-cache") as pool:
            ahead = pool.submit(self._load, 0, 0) if self.shards else None
            for k in range(len(self.shards)):
                assert ahead is not None  # submitted above for shard 0, below for the next
                tensors, hashes = ahead.result()
                if k + 1 < len(self.shards):
                    ahead = pool.submit(self._load, k + 1, firsts[k + 1])
                for i in range(0, len(tensors), batch):
                    lo = firsts[k] + i
                    yield records[lo:lo + len(tensors[i:i + batch])], [tensors[i:i + batch]], hashes[i:i + batch]


class CacheWriter:
    """Writes the tensors of a first run into a temporary folder beside `root`, renamed onto `root`
    only when the whole set was scored (`commit`); `discard` removes a partial one."""

    def __init__(self, root: Path, data_hash: str, keys: list[str], input_spec: InputSpec):
        self.root = root
        self.data_hash = data_hash
        self.keys = keys
        self.input_spec = input_spec
        root.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
        self.shards: list[dict] = []
        self._tensors: list[np.ndarray] = []
        self._hashes: list[np.ndarray] = []
        self._pending = 0
        self._written = 0

    def on_batch(self, chunk: list, tensors: list[np.ndarray], hashes: np.ndarray) -> None:
        """Keep one scored batch's tensors (of the one preprocessor) and hashes; a shard is written when full."""
        self._tensors.append(np.asarray(tensors[0], np.float32))
        self._hashes.append(np.asarray(hashes, np.uint64))
        self._pending += len(chunk)
        if self._pending >= SHARD:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        name = f"shard-{len(self.shards):05d}.npz"
        with open(self.tmp / name, "wb") as f:  # straight to the file: no second copy of the shard in memory
            np.savez(f, tensors=np.concatenate(self._tensors), hashes=np.concatenate(self._hashes),
                     first=np.int64(self._written))
        self.shards.append({"file": name, "first": self._written, "frames": self._pending,
                            "sha256": sha256_file(self.tmp / name)})
        self._written += self._pending
        self._tensors, self._hashes, self._pending = [], [], 0

    def commit(self) -> None:
        """Write the last shard and the index, then rename the folder onto `root`; refused unless every frame
        was cached."""
        self._flush()
        if self._written != len(self.keys):
            raise _refuse(self.root, f"{self._written} frames were cached, not the set's {len(self.keys)}")
        doc = {"kind": KIND, "schema": SCHEMA, "data_hash": self.data_hash, "frames": len(self.keys),
               "keys_sha256": keys_sha256(self.keys), "preprocessing": preprocessing_key(self.input_spec),
               "shard_frames": SHARD, "shards": self.shards}
        write_text(self.tmp / INDEX, json.dumps(doc, indent=1) + "\n")
        os.chmod(self.tmp, 0o755)
        if self.root.exists():  # an empty folder given as --cache
            self.root.rmdir()
        os.replace(self.tmp, self.root)

    def discard(self) -> None:
        """Remove the temporary folder (after `commit`, nothing is left to remove)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
