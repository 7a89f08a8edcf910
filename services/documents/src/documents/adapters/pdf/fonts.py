"""The embedded TrueType fonts (DejaVu Sans by default).

reportlab keeps fonts in a process-wide registry and is not documented as thread-safe, so
registering takes a lock.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_PACKAGE = "fonts-dejavu-core"

_REGISTRY_LOCK = threading.Lock()


class FontUnavailable(OSError):
    """The configured font file is missing or unreadable: a deployment problem, not bad data.

    An OSError on purpose: the event consumer retries those instead of dead-lettering events.
    """


def register_font(path: Path, setting: str) -> str:
    """Register a TrueType font file with reportlab once; returns its registered name."""
    if not path.is_file():
        raise FontUnavailable(
            f"font file {path} not found (setting {setting}): install the Debian/Ubuntu package "
            f"'{FONT_PACKAGE}' or point {setting} at a TrueType font"
        )
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    name = f"{path.stem}-{digest}"
    with _REGISTRY_LOCK:
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except Exception as exc:
                raise FontUnavailable(f"font file {path} ({setting}) is unusable: {exc}") from exc
    return name


def register_family(regular_path: Path, bold_path: Path) -> tuple[str, str]:
    """Register the regular and bold fonts as one family; returns their names."""
    regular = register_font(regular_path, "DOCUMENTS_FONT_PATH")
    bold = register_font(bold_path, "DOCUMENTS_FONT_BOLD_PATH")
    pdfmetrics.registerFontFamily(
        regular, normal=regular, bold=bold, italic=regular, boldItalic=bold
    )
    return regular, bold
