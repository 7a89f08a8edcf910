"""Letterhead images: base64 in, a verified PNG or JPEG out (or a clear reason why not).

The bytes are decoded for real (reportlab's ImageReader reads every pixel), so a truncated or
corrupted file is refused when the template is saved, never when a document is rendered.
"""

from __future__ import annotations

import base64
import binascii
import io

from reportlab.lib.utils import ImageReader

from documents.domain.templates import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    InvalidTemplate,
    LetterheadImage,
)

FIELD = "letterhead_image"
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _content_type(content: bytes) -> str:
    for signature, content_type in _SIGNATURES.items():
        if content.startswith(signature):
            return content_type
    raise InvalidTemplate(FIELD, "the image is neither a PNG nor a JPEG file")


def decode_letterhead(encoded: str) -> LetterheadImage:
    """A letterhead image from base64 (a `data:image/...;base64,` prefix is accepted)."""
    if encoded.startswith("data:"):
        _, _, encoded = encoded.partition(",")
    if len(encoded) > (MAX_IMAGE_BYTES + 2) // 3 * 4 + 4:
        raise InvalidTemplate(FIELD, f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        content = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidTemplate(FIELD, "not valid base64") from None
    return read_letterhead(content)


def read_letterhead(content: bytes) -> LetterheadImage:
    """Verify a PNG or JPEG file by decoding it; its type and size in pixels."""
    if not content:
        raise InvalidTemplate(FIELD, "the image is empty")
    if len(content) > MAX_IMAGE_BYTES:
        raise InvalidTemplate(FIELD, f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    content_type = _content_type(content)
    try:
        reader = ImageReader(io.BytesIO(content))
        width, height = (int(value) for value in reader.getSize())
        if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
            raise InvalidTemplate(
                FIELD, f"the image is {width}x{height} pixels (at most {MAX_IMAGE_PIXELS})"
            )
        pixels = reader.getRGBData()  # decodes every pixel: a damaged file fails here
    except InvalidTemplate:
        raise
    except Exception as exc:
        raise InvalidTemplate(FIELD, f"the image cannot be decoded: {exc}") from None
    if len(pixels) < width * height:  # at least one byte (a grey level) per pixel
        raise InvalidTemplate(FIELD, "the image cannot be decoded: its data is incomplete")
    return LetterheadImage(content=content, content_type=content_type, width=width, height=height)
