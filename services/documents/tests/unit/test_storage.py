"""The file-system storage (a temporary directory; no broker, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.adapters import storage as storage_module
from documents.adapters.storage import FileSystemStorage, StoredObjectMissing


async def test_put_then_get_and_overwrite(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path / "root")
    await storage.check()
    await storage.put("invoice/abc/1.pdf", b"first")
    assert await storage.get("invoice/abc/1.pdf") == b"first"
    await storage.put("invoice/abc/1.pdf", b"second")
    assert await storage.get("invoice/abc/1.pdf") == b"second"
    # Nothing but the file itself: the temporary file was renamed into place.
    assert [p.name for p in (tmp_path / "root" / "invoice" / "abc").iterdir()] == ["1.pdf"]


async def test_missing_objects(tmp_path: Path) -> None:
    with pytest.raises(StoredObjectMissing):
        await FileSystemStorage(tmp_path).get("invoice/nothing.pdf")


@pytest.mark.parametrize(
    "key", ["../escape.pdf", "/absolute.pdf", "a//b.pdf", "a/../b.pdf", "a\\b.pdf", "", "a/ b"]
)
async def test_keys_cannot_leave_the_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        await FileSystemStorage(tmp_path).put(key, b"x")


async def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path)
    await storage.put("k/doc.pdf", b"old")
    with pytest.raises(TypeError):
        await storage.put("k/doc.pdf", "not bytes")  # type: ignore[arg-type]
    assert await storage.get("k/doc.pdf") == b"old"
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["doc.pdf"]


async def test_new_directories_are_flushed_in_their_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed: list[Path] = []
    flush = storage_module._flush_directory

    def noting(directory: Path) -> None:
        flushed.append(directory)
        flush(directory)

    monkeypatch.setattr(storage_module, "_flush_directory", noting)
    storage = FileSystemStorage(tmp_path)
    await storage.put("invoice/abc/1.pdf", b"first")
    # Each new entry in its parent (invoice in the root, abc in invoice), then the rename.
    assert flushed == [tmp_path, tmp_path / "invoice", tmp_path / "invoice" / "abc"]

    flushed.clear()
    await storage.put("invoice/abc/2.pdf", b"second")
    assert flushed == [tmp_path / "invoice" / "abc"]  # the directories were there
