"""Personal account numbers (особовий рахунок): digits only, of the company's length; and
masking account numbers and EIC codes for logs and messages."""

from __future__ import annotations

from ivr.callerid import mask

#: The usual length at oblenergos (the first digit 1 legal entity / 2 household, then the district).
DEFAULT_LENGTH = 10


class AccountNumberError(ValueError):
    """Not a personal account number of the expected length."""


def account_number_problem(value: str, length: int = DEFAULT_LENGTH) -> str | None:
    """Why ``value`` is not an account number of ``length`` digits, or None when it is.

    The message never repeats the number (it is personal data), only the offending character.
    """
    if not value:
        return "missing"
    for ch in value:
        if not ("0" <= ch <= "9"):
            kind = "letter" if ch.isalpha() else "character"
            return f"only digits 0-9 are allowed, found the {kind} {ch!r}"
    if len(value) != length:
        return f"{len(value)} digits, expected {length}"
    return None


def check_account_number(value: str, length: int = DEFAULT_LENGTH) -> str:
    """``value`` without surrounding spaces when it is an account number, else
    AccountNumberError."""
    number = value.strip()
    problem = account_number_problem(number, length)
    if problem is not None:
        raise AccountNumberError(f"account number: {problem}")
    return number


def mask_account(number: str | None) -> str:
    """An account number for logs: ``1234567890`` -> ``*******890``."""
    return mask(number, visible=3)


def mask_eic(code: str | None) -> str:
    """An EIC code for logs: ``62Z1234567890123`` -> ``************0123``."""
    return mask(code, visible=4)
