"""The command line refuses to start a rendering process without its fonts."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.entrypoints.cli import main


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_missing_font_stops_the_start(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "DejaVuSans-Bold.ttf"
    monkeypatch.setenv("DOCUMENTS_FONT_BOLD_PATH", str(missing))
    assert main([command]) == 2
    error = capsys.readouterr().err
    assert str(missing) in error
    assert "fonts-dejavu-core" in error
    assert "DOCUMENTS_FONT_BOLD_PATH" in error
