"""The file-system storage (a temporary directory; no broker, no database)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from documents.adapters import storage as storage_module
from documents.adapters.storage import FileSystemStorage, StoredObjectMissing
from documents.service_layer.ports import FoundFile


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


def _age(path: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def _age_all_but(root: Path, name: str, *, days: float) -> None:
    for path in root.rglob("*"):
        if path.name != name and not path.is_symlink():
            _age(path, days)


async def _found(storage: FileSystemStorage, cutoff: datetime) -> list[FoundFile]:
    return [file async for batch in storage.files_older_than(cutoff, batch=2) for file in batch]


async def test_a_sweep_finds_old_files_and_leftovers_and_nothing_else(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path)
    await storage.put("invoice/abc/1.pdf", b"old")
    await storage.put("invoice/abc/2.pdf", b"new")
    await storage.put("invoice/def/3.pdf", b"older")
    leftover = tmp_path / "invoice" / "abc" / ".1.pdf.k2x_9q0z"  # a write cut short
    leftover.write_bytes(b"%P")
    # Set aside by another sweep a moment ago (a rename: its ctime is now, whatever its mtime).
    (tmp_path / "invoice" / "abc" / ".1.pdf.0a1b2c3d.swept").write_bytes(b"%PDF")
    (tmp_path / "notes.txt~").write_bytes(b"not ours: no key of that name")
    (tmp_path / ".snapshot" / "invoice").mkdir(parents=True)
    (tmp_path / ".snapshot" / "invoice" / "1.pdf").write_bytes(b"a copy a file server keeps")
    (tmp_path / "invoice" / "abc" / "link.pdf").symlink_to(tmp_path / "invoice" / "abc" / "1.pdf")
    _age_all_but(tmp_path, "2.pdf", days=3)
    _age(tmp_path / "invoice" / "def" / "3.pdf", 5)

    found = await _found(storage, datetime.now(UTC) - timedelta(days=1))

    assert [(file.name, file.key, file.size) for file in found] == [
        ("invoice/abc/.1.pdf.k2x_9q0z", None, 2),
        ("invoice/abc/1.pdf", "invoice/abc/1.pdf", 3),
        ("invoice/def/3.pdf", "invoice/def/3.pdf", 5),
    ]
    assert found[2].modified_at < found[1].modified_at < datetime.now(UTC) - timedelta(days=2)
    assert [file.name for file in await _found(storage, datetime.now(UTC) - timedelta(days=4))] == [
        "invoice/def/3.pdf"
    ]
    assert await _found(FileSystemStorage(tmp_path / "never-written"), datetime.now(UTC)) == []


async def test_a_found_file_is_removed_unless_written_again(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path)
    await storage.put("invoice/abc/1.pdf", b"first")
    await storage.put("invoice/abc/2.pdf", b"second")
    (tmp_path / "invoice" / "abc" / ".2.pdf.abcd1234").write_bytes(b"%P")
    for path in (tmp_path / "invoice" / "abc").iterdir():
        _age(path, 3)
    first, leftover, second = await _found(storage, datetime.now(UTC) - timedelta(days=1))

    # Written again (same key, the same bytes even) after the sweep found it: kept.
    await storage.put("invoice/abc/2.pdf", b"second")
    assert not await storage.remove(second)
    assert await storage.get("invoice/abc/2.pdf") == b"second"

    assert await storage.remove(first)
    assert await storage.remove(leftover)
    assert not await storage.remove(first)  # gone already (another replica's sweep, say)
    assert sorted(p.name for p in (tmp_path / "invoice" / "abc").iterdir()) == ["2.pdf"]
    with pytest.raises(StoredObjectMissing):
        await storage.get("invoice/abc/1.pdf")
