"""Electronic invoices (EN 16931): an invoice as Factur-X / ZUGFeRD CII XML."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from billing.adapters.einvoice import NotInvoiceable, cii_xml
from billing.config import BillingSettings
from billing.entrypoints.common import InvoiceId, UnitOfWorkDep
from servicekit.api import described_problems
from servicekit.http import Conflict, NotFound
from servicekit.runtime import runtime_of

router = APIRouter(tags=["invoices"])


@router.get(
    "/invoices/{invoice_id}/einvoice.xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}},
        **described_problems(
            {
                404: "No such invoice",
                409: "The company's data is not configured, or the invoice has no buyer address",
            }
        ),
    },
)
async def get_einvoice(request: Request, invoice_id: InvoiceId, uow: UnitOfWorkDep) -> Response:
    """The invoice in EN 16931 form: Factur-X CII XML (profile EN 16931), valid against the
    profile's XML schema; the seller is the configured company (`BILLING_COMPANY_*`)."""
    settings = runtime_of(request).spec.settings
    assert isinstance(settings, BillingSettings)
    invoice = await uow.invoices.get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    company = settings.company
    if company is None:
        raise Conflict(
            "the company's legal name, VAT id, address and IBAN are not configured "
            "(BILLING_COMPANY_*)"
        )
    try:
        xml = cii_xml(invoice, company)
    except NotInvoiceable as exc:
        raise Conflict(str(exc)) from None
    return Response(
        xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.xml"'},
    )
