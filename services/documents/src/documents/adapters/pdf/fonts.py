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
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    TTFontFace,
    makeToUnicodeCMap,
)

FONT_PACKAGE = "fonts-dejavu-core"
SUBSET_FILES_KEPT = 64  # per font and rendering process; emptied when full (~20 KB each)
SUBSET_DICTIONARIES_KEPT = 64  # per font and rendering process; emptied when full (~2 KB each)

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


class FormattedOnce(pdfdoc.PDFArray):  # type: ignore[misc]
    """An array of numbers formatted the first time a PDF is written, then taken as it is."""

    _formatted: bytes | None = None

    def format(self, document: Any, IND: bytes = b"\n ") -> bytes:
        if self._formatted is None:
            self._formatted = bytes(super().format(document, IND))
        return self._formatted


class SubsetKeepingFont(TTFont):  # type: ignore[misc]
    """A TrueType font whose subsets' widths and character maps are built once per process.

    Each subset a PDF uses is a font dictionary with the widths of its characters and a
    ToUnicode character map (so text can be copied out of the PDF). reportlab builds and formats
    both again for every PDF, about a tenth of a render; they depend only on the subset's
    name and characters, so they are kept (the map compressed as reportlab compresses it) and
    the PDF is byte for byte the same. The rest is reportlab's `TTFont.addObjects`.
    """

    def addObjects(self, doc: Any) -> None:
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        for index, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(index, doc)[1:]
            base_font_name = b"".join(
                (SUBSETN(index), b"+", self.face.name, self.face.subfontNameX)
            ).decode("pdfdoc")
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {index}"
            font.Name = internal_name
            font.BaseFont = base_font_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            compressed = bool(doc.compression)
            font.Widths, character_map = self._subset_dictionary(
                base_font_name, tuple(subset), compressed
            )
            map_stream = pdfdoc.PDFStream(content=character_map)
            if compressed:  # already applied: the stream must not compress it again
                map_stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
            font.ToUnicode = doc.Reference(map_stream, "toUnicodeCMap:" + base_font_name)
            font.FontDescriptor = self.face.addSubsetObjects(doc, base_font_name, subset)
            doc.Reference(font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = font
        del self.state[doc]

    def _subset_dictionary(
        self, base_font_name: str, subset: tuple[int, ...], compressed: bool
    ) -> tuple[FormattedOnce, str | bytes]:
        """The subset's widths and its ToUnicode map (compressed or not)."""
        kept: dict[tuple[str, tuple[int, ...], bool], tuple[FormattedOnce, str | bytes]]
        kept = self.__dict__.setdefault("_kept_subset_dictionaries", {})
        key = (base_font_name, subset, compressed)
        found = kept.get(key)
        if found is None:
            character_map: str = makeToUnicodeCMap(base_font_name, list(subset))
            widths = FormattedOnce([self.face.getCharWidth(code) for code in subset])
            found = (widths, zlib.compress(character_map.encode()) if compressed else character_map)
            if len(kept) >= SUBSET_DICTIONARIES_KEPT:
                kept.clear()
            kept[key] = found
        return found


def embedded_font(name: str, path: Path) -> TTFont:
    """A TrueType font whose subsets' files, widths and character maps are built once per
    process."""
    font = SubsetKeepingFont(name, str(path))
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
