"""Where rendered files live: the file-system implementation of the `DocumentStorage` port.

Keys are relative, slash-separated paths such as `invoice/<id>/<sha256>.pdf`. An object store
(S3, GCS) would implement the same three methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path

from documents.service_layer.ports import StoredObjectMissing

__all__ = ["FileSystemStorage", "StoredObjectMissing", "validate_key"]

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


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
