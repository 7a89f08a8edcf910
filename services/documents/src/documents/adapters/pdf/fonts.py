"""The embedded TrueType fonts (DejaVu Sans by default).

reportlab keeps fonts in a process-wide registry and is not documented as thread-safe, so
registering takes a lock.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace

FONT_PACKAGE = "fonts-dejavu-core"
SUBSET_FILES_KEPT = 64  # per font and rendering process; emptied when full (~20 KB each)

_REGISTRY_LOCK = threading.Lock()


class SubsetKeepingFace(TTFontFace):  # type: ignore[misc]
    """A TrueType face that builds the font file of each subset of characters once.

    Every PDF embeds the subsets of the fonts it prints with. With reportlab's ASCII-readable
    subsets, a subset is the printable ASCII characters plus the few others a document uses, in
    the order they first appear, so most documents embed the very same subsets. Cutting a subset
    out of the font and compressing it was a sixth of a render. The file is kept, compressed as
    reportlab compresses it (zlib's default level), keyed by the subset's characters in order:
    the PDF is byte for byte the same.
    """

    def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
        raw_length, content = self._subset_file(tuple(subset), bool(doc.compression))
        font_file = pdfdoc.PDFStream(content=content)
        font_file.dictionary["Length1"] = raw_length
        if doc.compression:  # already applied: the stream must not compress it again
            font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        reference = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": reference,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)

    def _subset_file(self, subset: tuple[int, ...], compressed: bool) -> tuple[int, bytes]:
        """The subset's font file (compressed or not) and its uncompressed length."""
        kept: dict[tuple[tuple[int, ...], bool], tuple[int, bytes]]
        kept = self.__dict__.setdefault("_kept_subset_files", {})
        key = (subset, compressed)
        found = kept.get(key)
        if found is None:
            raw = self.makeSubset(list(subset))
            found = (len(raw), zlib.compress(raw) if compressed else raw)
            if len(kept) >= SUBSET_FILES_KEPT:
                kept.clear()
            kept[key] = found
        return found


def embedded_font(name: str, path: Path) -> TTFont:
    """A TrueType font whose subsets' files are built once per process."""
    font = TTFont(name, str(path))
    # reportlab builds the face inside TTFont's constructor; the subclass only adds a store and
    # changes how subsets are embedded, so the parsed face is kept rather than read again.
    font.face.__class__ = SubsetKeepingFace
    return font


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
                pdfmetrics.registerFont(embedded_font(name, path))
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
