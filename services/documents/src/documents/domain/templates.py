"""Document templates: the look an administrator chooses for the documents of an order or quote.

A `Template` is what is administered (name, default flag, timestamps); its `Look` is only what
changes the printed page: the language of the labels, the letterhead image, the colours, the
footer text, the default opening and closing texts and overrides of the company block.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_IMAGE_BYTES = 1024 * 1024  # 1 MiB, decoded
MAX_IMAGE_PIXELS = 25_000_000  # a small file may still decode to a huge bitmap


class InvalidTemplate(ValueError):
    """A template value breaks a rule; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_colour(field: str, value: str | None) -> str | None:
    """`#RRGGBB` (upper-cased), or None for the built-in colour."""
    if value is None:
        return None
    if not COLOUR.match(value):
        raise InvalidTemplate(field, f"{value!r} is not a colour #RRGGBB")
    return value.upper()


def is_dark(colour: str) -> bool:
    """Whether white text reads better than black on `colour` (#RRGGBB), by relative luminance."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return luminance < 0.179  # the point where contrast with white equals contrast with black


@dataclass(frozen=True)
class LetterheadImage:
    """A decoded and verified PNG or JPEG image printed at the top of the first page."""

    content: bytes = field(repr=False)
    content_type: str
    width: int  # pixels
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def __repr__(self) -> str:  # the digest stands for the bytes (renders are keyed by repr)
        return f"LetterheadImage({self.content_type}, {self.width}x{self.height}, {self.sha256})"


@dataclass(frozen=True)
class CompanyDetails:
    """Overrides of the company block (letterhead text, footer, bank details); None keeps the
    deployment's setting."""

    name: str | None = None
    address: str | None = None  # multi-line
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    vat_id: str | None = None
    bank_details: str | None = None  # multi-line


@dataclass(frozen=True)
class Look:
    """What a template changes on the printed page."""

    language: str  # BCP 47
    letterhead: LetterheadImage | None = None
    footer_text: str | None = None
    primary_color: str | None = None  # title and headings; None: the built-in colour
    accent_color: str | None = None  # the lines table's header row
    default_opening_text: str | None = None
    default_closing_text: str | None = None
    company: CompanyDetails = field(default_factory=CompanyDetails)


@dataclass
class Template:
    id: uuid.UUID
    name: str
    look: Look
    is_default: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def language(self) -> str:
        return self.look.language
