"""What the receivables API answers: ageing per customer and currency, a customer's statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from billing.domain.receivables import Ageing, EntryKind, OpenItem, Statement
from billing.service_layer.receivables import CustomerStatement


class AgeingRead(BaseModel):
    """Open amounts per bucket of days past due on `as_of`: `current` is not due yet."""

    customer_id: str | None = None
    customer_name: str | None = None
    currency: str
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_over_90: Decimal
    total: Decimal
    invoices: int = Field(description="How many invoices are open")

    @classmethod
    def of(cls, ageing: Ageing) -> AgeingRead:
        return cls.model_validate(ageing, from_attributes=True)


class ReceivablesPage(BaseModel):
    as_of: date
    items: list[AgeingRead] = Field(description="Per customer and currency")
    totals: list[AgeingRead] = Field(description="Per currency, over every customer filtered")
    next_cursor: str | None


class OpenItemRead(BaseModel):
    invoice_id: str
    number: str
    order_id: str
    currency: str
    issue_date: date
    due_date: date
    gross: Decimal
    open: Decimal
    days_past_due: int

    @classmethod
    def of(cls, item: OpenItem, as_of: date) -> OpenItemRead:
        return cls(
            **{name: getattr(item, name) for name in ("invoice_id", "number", "order_id")},
            currency=item.currency,
            issue_date=item.issue_date,
            due_date=item.due_date,
            gross=item.gross,
            open=item.open,
            days_past_due=max(0, (as_of - item.due_date).days),
        )


class StatementLineRead(BaseModel):
    date: date
    kind: EntryKind
    id: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


class AccountRead(BaseModel):
    currency: str
    opening_balance: Decimal
    lines: list[StatementLineRead]
    closing_balance: Decimal = Field(description="What the customer owes; negative: credit")

    @classmethod
    def of(cls, statement: Statement) -> AccountRead:
        return cls(
            currency=statement.currency,
            opening_balance=statement.opening_balance,
            lines=[
                StatementLineRead(
                    date=line.entry.on,
                    kind=line.entry.kind,
                    id=line.entry.id,
                    reference=line.entry.reference,
                    debit=line.entry.debit,
                    credit=line.entry.credit,
                    balance=line.balance,
                )
                for line in statement.lines
            ],
            closing_balance=statement.closing_balance,
        )


class CreditAmountRead(BaseModel):
    currency: str
    amount: Decimal


class StatementRead(BaseModel):
    customer_id: str
    from_: date = Field(alias="from")
    to: date
    accounts: list[AccountRead] = Field(description="One per currency")
    open_items: list[OpenItemRead] = Field(description="Invoices open on `to`")
    credit: list[CreditAmountRead] = Field(description="Unallocated credit now, per currency")

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, statement: CustomerStatement) -> StatementRead:
        return cls(
            customer_id=statement.customer_id,
            from_=statement.start,
            to=statement.end,
            accounts=[AccountRead.of(account) for account in statement.accounts],
            open_items=[OpenItemRead.of(item, statement.end) for item in statement.open_items],
            credit=[CreditAmountRead(currency=c, amount=a) for c, a in statement.credit.items()],
        )
