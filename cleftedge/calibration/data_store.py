"""Where a data set's files lie: a local folder (plain paths, read with the standard library: a cart
has no pyarrow), or any URI that pyarrow's filesystems read (`s3://bucket/prefix?endpoint_override=
host:port&scheme=http`, `gs://`, `hdfs://`, `file:///mnt/nfs/set`), opened with
`pyarrow.fs.FileSystem.from_uri` by the driver and by every Ray worker alike.

A URI's set is read through its filesystem: the manifest and labels as text, the tree listed once,
and each file's bytes fetched when the set is opened (hashed there, in parallel: the content hash is
the one the same files give on a local disk) and again when its frames are decoded, into a
temporary file that the runtime's own reader decodes (same decoder, same pixels). Bytes that differ
from the ones hashed (an object replaced after the set was opened or locked) are refused."""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from cleftedge.errors import CleftEdgeError
from cleftedge.hashing import CHUNK, sha256_file

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@?#]*@")
HEAD = 132  # DICOM's "DICM" magic sits at bytes 128..131
FETCH_THREADS = 16  # objects fetched at once when a set is opened (object stores answer in tens of ms)
CREDENTIALS = ("check the URI, that the endpoint is reachable and the credentials (for s3://: AWS_ACCESS_KEY_ID and "
               "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; see docs/qa.md)")


def is_uri(location: object) -> bool:
    """Whether `location` names a filesystem by its scheme (s3://, file://, ...) rather than a local path."""
    return isinstance(location, str) and bool(URI.match(location))


def data_location(text: str) -> str | Path:
    """A --data argument: a URI as given (a Path would fold its '//'), anything else a local Path."""
    return text if is_uri(text) else Path(text)


def shown(location: object) -> str:
    """The location as reports and messages show it: credentials written into a URI are masked."""
    return USERINFO.sub(r"\1***@", str(location))


def _said(exc: BaseException, uri: str) -> str:
    """The first line of what pyarrow said, without credentials the URI carried."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    found = USERINFO.match(uri)
    if found:
        secret = found.group(0)[len(found.group(1)):-1]
        text = text.replace(secret, "***")
    return text


class LocalStore:
    """Files on this machine's disk (or a mounted NFS share), read as every cleftedge version has."""

    uri: str | None = None

    def exists(self, p: Path) -> bool:
        """Whether anything is at `p`."""
        return p.exists()

    def is_file(self, p: Path) -> bool:
        """Whether `p` is a file."""
        return p.is_file()

    def is_dir(self, p: Path) -> bool:
        """Whether `p` is a folder."""
        return p.is_dir()

    def children(self, p: Path) -> list[Path]:
        """The entries of the folder `p`, sorted."""
        return sorted(p.iterdir())

    def read_text(self, p: Path, encoding: str = "utf-8") -> str:
        """The file as text (newlines kept as written, for the csv module)."""
        with open(p, newline="", encoding=encoding) as f:
            return f.read()

    def sha256(self, p: Path) -> str:
        """SHA-256 of the file's bytes."""
        return sha256_file(p)

    def resolve(self, p: Path) -> Path:
        """The file's own path (links resolved)."""
        return p.resolve()

    def inside(self, root: Path, rel: str) -> Path | None:
        """root/rel, or None when it lies outside root (after links resolve)."""
        file = (root / rel).resolve()
        try:
            file.relative_to(root.resolve())
        except ValueError:
            return None
        return file

    def prefetch(self, files: Iterable[Path]) -> None:
        """Nothing to fetch ahead on a local disk."""

    def is_dicom(self, p: Path) -> bool:
        """A .dcm name, or the DICM magic (the runtime's own test)."""
        from cleftedge.runtime.sources.dicom import is_dicom

        return is_dicom(p)

    @contextmanager
    def local(self, p: Path) -> Iterator[Path]:
        """A local path holding the file's bytes: the file itself."""
        yield p

    def hashes(self, files: Iterable[Path]) -> list[str]:
        """None to hand a worker: it reads the same disk (or NFS mount), as the local `qa` does."""
        return []


LOCAL = LocalStore()


def _reading(location: str, exc: BaseException) -> CleftEdgeError:
    return CleftEdgeError(f"cannot read {shown(location)} ({_said(exc, location)})",
                          "a data set that this filesystem can read", CREDENTIALS)


def _pyarrow_fs() -> Any:
    try:
        import pyarrow.fs as pafs
    except ImportError:
        raise CleftEdgeError("a data set given as a URI needs pyarrow, which is not installed",
                             "pyarrow (it comes with the ray extra)", "pip install 'cleftedge[ray]', or give a "
                             "local path (or a mounted NFS folder)") from None
    return pafs


@lru_cache(maxsize=8)
def _filesystem(uri: str) -> tuple[Any, str]:
    """pyarrow's filesystem for `uri` and the path in it (one per URI and process: a Ray worker opens it once)."""
    pafs = _pyarrow_fs()
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (ValueError, OSError, TypeError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise CleftEdgeError(f"{shown(uri)} is not a data-set location pyarrow can open ({_said(exc, uri)})",
                             "a local path, or a URI such as s3://bucket/prefix?endpoint_override=host:port&"
                             "scheme=http, gs://bucket/prefix or file:///mnt/nfs/set", "fix the URI") from None
    return fs, path.rstrip("/") or path


class ArrowStore:
    """A data set's files on a pyarrow filesystem; paths are that filesystem's (e.g. bucket/prefix/a.png)."""

    def __init__(self, uri: str, hashes: dict[str, str] | None = None) -> None:
        self.uri = uri
        self.fs, self.base = _filesystem(uri)
        self._hashes: dict[str, str] = dict(hashes or {})  # file -> SHA-256 of the bytes hashed (or expected)
        self._heads: dict[str, bytes] = {}
        self._trees: dict[str, dict[str, bool]] = {}  # listed folder -> {path: is_dir}

    def _fail(self, exc: BaseException) -> CleftEdgeError:
        return _reading(self.uri, exc)

    def _kind(self, p: Path) -> bool | None:
        """True for a folder, False for a file, None for nothing (from a listing when one covers `p`)."""
        key = str(p)
        for root, tree in self._trees.items():
            if key == root:
                return True
            if key.startswith(root + "/"):
                return tree.get(key)
        try:
            info = self.fs.get_file_info(key)
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None
        kind = info.type.name
        return True if kind == "Directory" else False if kind == "File" else None

    def index(self, root: Path) -> None:
        """List the tree under `root` once: later questions about its files are answered from the list."""
        pafs = _pyarrow_fs()
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(str(root), recursive=True, allow_not_found=True))
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None
        self._trees[str(root)] = {i.path.rstrip("/"): i.type.name == "Directory" for i in infos}

    def exists(self, p: Path) -> bool:
        """Whether anything is at `p`."""
        return self._kind(p) is not None

    def is_file(self, p: Path) -> bool:
        """Whether `p` is a file."""
        return self._kind(p) is False

    def is_dir(self, p: Path) -> bool:
        """Whether `p` is a folder (an object store's common prefix counts)."""
        return self._kind(p) is True

    def children(self, p: Path) -> list[Path]:
        """The entries of the folder `p`, sorted."""
        key = str(p)
        tree = next((t for root, t in self._trees.items() if key == root or key.startswith(root + "/")), None)
        if tree is None:
            self.index(p)
            tree = self._trees[key]
        return sorted(Path(k) for k in tree if posixpath.dirname(k) == key)

    def read_text(self, p: Path, encoding: str = "utf-8") -> str:
        """The file as text; UnicodeDecodeError as a local read gives it."""
        try:
            with self.fs.open_input_stream(str(p)) as f:
                data = f.read()
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None
        return bytes(data).decode(encoding)

    def resolve(self, p: Path) -> Path:
        """The path as it is (an object store has no links)."""
        return p

    def inside(self, root: Path, rel: str) -> Path | None:
        """root/rel normalised, or None when '..' takes it outside root."""
        joined = posixpath.normpath(posixpath.join(str(root), rel))
        return Path(joined) if joined.startswith(str(root).rstrip("/") + "/") else None

    def _fetch(self, p: Path, out: Any = None) -> None:
        """Stream the file's bytes once: hash them (refusing bytes other than those hashed before) and
        keep its head; write them to `out` when given."""
        key = str(p)
        h = hashlib.sha256()
        head = b""
        try:
            with self.fs.open_input_stream(key) as f:
                while chunk := bytes(f.read(CHUNK)):
                    h.update(chunk)
                    if len(head) < HEAD:
                        head += chunk[:HEAD - len(head)]
                    if out is not None:
                        out.write(chunk)
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None
        found = h.hexdigest()
        want = self._hashes.setdefault(key, found)
        if found != want:
            raise CleftEdgeError(f"{shown(self.uri)}: {key} changed after the set was hashed (SHA-256 {found[:12]}..., "
                                 f"hashed as {want[:12]}...)", "the bytes of the set as it was opened and locked",
                                 "stop whatever rewrites the set (a locked set is never edited) and run QA again")
        self._heads[key] = head

    def prefetch(self, files: Iterable[Path]) -> None:
        """Fetch and hash the files not fetched yet, several at once (the set's open: one GET a file)."""
        todo = sorted({p for p in files if str(p) not in self._heads}, key=str)
        if todo:
            with ThreadPoolExecutor(min(FETCH_THREADS, len(todo)), thread_name_prefix="data-fetch") as pool:
                list(pool.map(self._fetch, todo))

    def sha256(self, p: Path) -> str:
        """SHA-256 of the file's bytes (fetched once)."""
        if str(p) not in self._heads:
            self._fetch(p)
        return self._hashes[str(p)]

    def is_dicom(self, p: Path) -> bool:
        """A .dcm name, or the DICM magic at offset 128: the runtime's rule, on the fetched head."""
        if p.suffix.lower() == ".dcm":
            return True
        if str(p) not in self._heads:
            self._fetch(p)
        return self._heads[str(p)][128:132] == b"DICM"

    @contextmanager
    def local(self, p: Path) -> Iterator[Path]:
        """A temporary local file with the file's bytes (checked against the bytes hashed), under the same
        name so that the runtime's reader treats it as it treats the file on a disk."""
        with tempfile.TemporaryDirectory(prefix="cleftedge-fetch-") as tmp:
            path = Path(tmp) / p.name
            with open(path, "wb") as out:
                self._fetch(p, out)
            yield path

    def hashes(self, files: Iterable[Path]) -> list[str]:
        """The SHA-256 each file was hashed with (for a worker to check the bytes it fetches)."""
        return [self.sha256(p) for p in files]


Store = LocalStore | ArrowStore


def open_location(location: str | os.PathLike[str]) -> tuple[Store, Path]:
    """The store that holds `location` and the path in it: a URI through pyarrow's filesystems, any
    other location on the local disk."""
    if is_uri(location):
        store = ArrowStore(str(location))
        return store, Path(store.base)
    return LOCAL, Path(location)


def worker_store(uri: str | None, files: list[str], hashes: list[str]) -> Store:
    """On a Ray worker: the store of the set's URI, expecting each file's bytes to be those hashed."""
    if not uri:
        return LOCAL
    return ArrowStore(uri, dict(zip(files, hashes, strict=True)))
