"""The terms Vobiz attaches to a number beyond its fees, in the words the bot uses everywhere (inventory rows,
quotes, approval messages), so an approver reads the same sentence wherever the number appears."""

from __future__ import annotations


def commitment_notes(commitment_months: int | None, aadhaar_required: bool | None) -> list[str]:
    """Plain phrases for what buying the number commits us to; empty when Vobiz reports nothing to note."""
    notes: list[str] = []
    if commitment_months:
        unit = "month" if commitment_months == 1 else "months"
        notes.append(f"commits us for {commitment_months} {unit}")
    if aadhaar_required:
        notes.append("needs Aadhaar verification before use")
    return notes


__all__ = ["commitment_notes"]
