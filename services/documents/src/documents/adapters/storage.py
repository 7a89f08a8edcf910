"""Where rendered files live: the file-system implementation of the `DocumentStorage` port.

Keys are relative, slash-separated paths such as `invoice/<id>/<sha256>.pdf`. An object store
(S3, GCS) would implement the same methods.

A write goes to a temporary file beside its target (`.<name>.<random>`), renamed into place once
flushed; a crash can leave the temporary file behind, and the file sweep removes it later
(`files_older_than` finds such leftovers, with no key).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import secrets
import stat
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

from documents.service_layer.ports import FoundFile, StoredObjectMissing

__all__ = ["FileSystemStorage", "StoredObjectMissing", "validate_key"]

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
# What an unfinished write leaves: `_write`'s temporary file (mkstemp's random suffix), or a
# file `_remove` set aside and did not get to delete (`.swept` after the suffix).
_LEFTOVER = re.compile(rf"^\.{_NAME}\.[a-z0-9_]{{8}}(?P<aside>\.swept)?$")


def validate_key(key: str) -> str:
    if len(key) > 500 or not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class FileSystemStorage:
    """Files under one root directory; each write lands atomically (temporary file + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_of(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._write, self.path_of(key), content)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, self.path_of(key))

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    async def files_older_than(
        self, cutoff: datetime, *, batch: int
    ) -> AsyncIterator[list[FoundFile]]:
        files = self._files_older_than(cutoff.timestamp())
        while found := await asyncio.to_thread(lambda: list(itertools.islice(files, batch))):
            yield found

    async def remove(self, found: FoundFile) -> bool:
        return await asyncio.to_thread(self._remove, found)

    def _files_older_than(self, cutoff: float) -> Iterator[FoundFile]:
        """The stored files and leftovers last modified before `cutoff` (a POSIX time); names
        that are neither (another program's files, hidden directories) are never offered."""
        for directory, subdirectories, names in os.walk(self.root):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            for name in sorted(names):
                path = Path(directory, name)
                relative = path.relative_to(self.root).as_posix()
                leftover = _LEFTOVER.match(name)
                if leftover is None and not _KEY.match(relative):
                    continue
                try:
                    status = os.lstat(path)
                except FileNotFoundError:
                    continue  # renamed or removed meanwhile
                # A file set aside keeps its mtime, but the rename set its ctime: it is old
                # only when both are, so a sweep never takes what another one just set aside.
                changed = status.st_mtime
                if leftover is not None and leftover["aside"]:
                    changed = max(changed, status.st_ctime)
                if not stat.S_ISREG(status.st_mode) or changed >= cutoff:
                    continue
                yield FoundFile(
                    name=relative,
                    key=None if leftover is not None else relative,
                    size=status.st_size,
                    modified_at=datetime.fromtimestamp(status.st_mtime, UTC),
                    version=_version(status),
                )

    def _remove(self, found: FoundFile) -> bool:
        path = self.root.joinpath(*found.name.split("/"))
        if found.key is None:  # a leftover: no writer ever comes back to its unique name
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True
        # Set aside first, then look: a rename takes whatever is there at that instant, so a
        # file written again since it was found is seen (and put back), never deleted.
        aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}.swept")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        if _version(os.lstat(aside)) != found.version:
            with contextlib.suppress(FileExistsError):  # an even newer write is already there
                os.link(aside, path)
            aside.unlink()
            return False
        aside.unlink()
        return True

    def _check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"document storage directory {self.root} is not writable")

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        _make_directories(path.parent)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(descriptor, 0o644)  # mkstemp's 0600 would hide it from a separate API user
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _flush_directory(path.parent)  # the rename itself durable

    @staticmethod
    def _read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StoredObjectMissing(str(path)) from None


def _version(status: os.stat_result) -> str:
    """Different for every write: `_write` renames a new inode into place."""
    return f"{status.st_ino}:{status.st_mtime_ns}:{status.st_size}"


def _make_directories(directory: Path) -> None:
    """Create `directory` and its missing parents, each new entry flushed in its parent: a file
    flushed in a directory whose own entry was never flushed can be lost with it in a crash."""
    if directory.is_dir():
        return
    _make_directories(directory.parent)
    with contextlib.suppress(FileExistsError):  # made by another writer meanwhile
        directory.mkdir()
    _flush_directory(directory.parent)


def _flush_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
