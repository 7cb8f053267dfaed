"""Callers' numbers as a dispatcher's lists show them: enough to tell calls apart, not
enough to identify the caller (personal data, Law of Ukraine "On Personal Data Protection")."""

from __future__ import annotations


def mask_phone(number: str | None) -> str:
    """``0501234567`` -> ``050•••••67``: the operator code and the last two digits."""
    if not number:
        return "—"
    digits = [ch for ch in number if ch.isdigit()]
    if len(digits) < 6:
        return "•" * len(digits)
    return "".join(digits[:3]) + "•" * (len(digits) - 5) + "".join(digits[-2:])
