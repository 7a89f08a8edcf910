"""Factur-X assembly with the `factur-x` library (akretion): the invoice's PDF with its CII
XML embedded as `factur-x.xml`, PDF/A-3 metadata (XMP, output intent) added by the library,
the XML checked against the Factur-X schema of its profile first (implements the service
layer's `EInvoiceAssembler` port)."""

from __future__ import annotations

import asyncio
import logging

import facturx

from documents.service_layer.einvoicing import EInvoiceRefused

log = logging.getLogger(__name__)

# The library logs every step of its work at INFO: keep the service's log about the service.
logging.getLogger("factur-x").setLevel(logging.WARNING)


class FacturXAssembler:
    """Embeds in a worker thread (pypdf and lxml are CPU-bound)."""

    def __init__(self, *, lang: str = "en-US") -> None:
        self.lang = lang

    async def embed(self, pdf: bytes, xml: bytes) -> bytes:
        return await asyncio.to_thread(self._embed, pdf, xml)

    def _embed(self, pdf: bytes, xml: bytes) -> bytes:
        try:
            facturx.xml_check_xsd(xml, flavor="factur-x")
        except Exception as exc:
            raise EInvoiceRefused(f"the CII XML is not valid Factur-X: {exc}") from exc
        content: bytes = facturx.generate_from_binary(
            pdf, xml, flavor="factur-x", check_xsd=False, lang=self.lang
        )
        return content
