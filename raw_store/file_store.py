"""A local directory that behaves like the raw bucket: same keys, atomic durable writes, etags."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from raw_store.base import ObjectInfo, StorageError

_TEMP_PREFIX = ".tmp-"
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL


class FileStore:
    """Objects are files under `root`; a key's slashes are directories.

    Writes go to a temporary file in the same directory, are fsynced, then renamed, so a reader never sees half an
    object and a reported success survives a crash. The etag is derived from the file's inode, modification time
    and size, as web servers derive theirs: it changes whenever the object is rewritten, and listing an hour of
    thousands of objects needs no read of their content.
    """

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root.resolve()
        self.fsync = fsync
        self.url = self.root.as_uri()
        # Paths are plain strings and the calls plain os ones: the generator writes an object per request, hundreds
        # of thousands a run, and pathlib's objects cost as much as the Python side of the write itself.
        self._prefix = os.path.join(self.root, "")
        self._made_dirs: set[str] = set()

    def _path(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StorageError(f"invalid object key {key!r}")
        return self._prefix + key

    def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> ObjectInfo:
        path = self._path(key)
        directory = os.path.dirname(path)
        # A fresh name per write (O_EXCL), one write, fstat for the etag, then the atomic rename.
        tmp = f"{directory}/{_TEMP_PREFIX}{os.urandom(16).hex()}"
        try:
            fd = self._create(directory, tmp)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync:
                    os.fsync(fd)
                stat = os.fstat(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            if self.fsync:
                _fsync_dir(directory)
        except OSError as exc:
            with contextlib.suppress(OSError):  # the cleanup must not hide the error that matters
                os.unlink(tmp)
            raise StorageError(f"cannot write {key} under {self.root}: {exc}") from exc
        return _info(key, stat)

    def _create(self, directory: str, tmp: str) -> int:
        """Open `tmp` new for writing. Directories already made are remembered (the generator writes hundreds of
        thousands of objects into a few hours); one removed since (a cleaned-up hour) is made again."""
        if directory not in self._made_dirs:
            self._make_dirs(directory)
        try:
            return os.open(tmp, _CREATE_NEW, 0o644)
        except FileNotFoundError:
            self._make_dirs(directory)
            return os.open(tmp, _CREATE_NEW, 0o644)

    def _make_dirs(self, directory: str) -> None:
        missing = []
        parent = directory
        while not os.path.isdir(parent):
            missing.append(parent)
            parent = os.path.dirname(parent)
        os.makedirs(directory, exist_ok=True)
        if self.fsync:
            # A new directory's own entry must be durable too, or a crash could lose it with the objects it holds.
            for made in missing:
                _fsync_dir(os.path.dirname(made))
        self._made_dirs.add(directory)

    def get(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb") as file:
                return file.read()
        except OSError as exc:
            raise StorageError(f"cannot read {key} under {self.root}: {exc}") from exc

    def stream(self, key: str, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
        try:
            with open(self._path(key), "rb", buffering=0) as file:
                while chunk := file.read(chunk_bytes):
                    yield chunk
        except OSError as exc:
            raise StorageError(f"cannot read {key} under {self.root}: {exc}") from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        if prefix.startswith("/") or ".." in prefix.split("/"):
            raise StorageError(f"invalid prefix {prefix!r}")
        # Walk only the deepest directory the prefix names, so listing one hour never scans the whole store;
        # os.scandir hands back each entry's stat with it (an hour holds thousands of small objects).
        directory, _, _ = prefix.rpartition("/")
        base = self.root / directory if directory else self.root
        if not base.is_dir():
            return
        # ObjectInfo at once, not the stat results: an hour of 100,000 objects held both for about 60 MB more.
        found: list[ObjectInfo] = []
        pending = [str(base)]
        root = str(self.root) + os.sep
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif entry.is_file(follow_symlinks=False) and not entry.name.startswith(_TEMP_PREFIX):
                        key = entry.path.removeprefix(root).replace(os.sep, "/")
                        if key.startswith(prefix):
                            try:
                                found.append(_info(key, entry.stat()))
                            except FileNotFoundError:
                                continue
        found.sort(key=lambda info: info.key)  # by the key string, as S3 lists
        yield from found


def _info(key: str, stat: os.stat_result) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=stat.st_size,
        # Every write is a new file renamed into place, so the inode changes too: a same-size rewrite within the
        # clock's granularity still gets a new etag.
        etag=f"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}",
        last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
    )


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
