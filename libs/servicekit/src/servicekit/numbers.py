"""The format of gapless yearly numbers (`INV-2026-000042`, `SO-2026-000042`).

Pure (no SQLAlchemy), so a service's domain can format its numbers with it; the counter that
hands out the sequence lives in `servicekit.numbering`.
"""

from __future__ import annotations


def format_yearly_number(prefix: str, year: int, sequence: int) -> str:
    """`format_yearly_number("INV", 2026, 42)` → `INV-2026-000042` (at least six digits)."""
    if not 1 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    if sequence < 1:
        raise ValueError(f"sequence must be positive (numbers start at 1): {sequence}")
    return f"{prefix}-{year:04d}-{sequence:06d}"
