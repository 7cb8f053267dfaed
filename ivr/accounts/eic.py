"""EIC codes (Energy Identification Code, ENTSO-E): the check character and Ukrainian
metering-point codes from the 12 digits a caller keys after ``62Z``.

The check character (the 16th) follows the ENTSO-E EIC reference manual: every one of the
first 15 characters gets its value in the alphabet ``0-9A-Z-`` (0-36) and a weight from 16 down
to 2; with S the weighted sum, the check character is the one of value ``36 - (S - 1) mod 37``.
A code whose check character would be ``-`` is never allocated, so it is not valid.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"
LENGTH = 16
UKRAINE_METERING_POINT = "62Z"  # Ukraine's issuing office + "Z" (measurement point)
#: The digits a caller keys: those after ``62Z`` (the check character is computed).
KEYED_DIGITS = LENGTH - len(UKRAINE_METERING_POINT) - 1
_VALUES = {ch: n for n, ch in enumerate(ALPHABET)}


class EicError(ValueError):
    """Not the start of an EIC code, or digits that give no valid code."""


def check_char(first15: str) -> str:
    """The check character of an EIC code's first 15 characters (``0-9A-Z-``, any case)."""
    body = first15.upper()
    if len(body) != LENGTH - 1:
        raise EicError(f"an EIC code has {LENGTH - 1} characters before its check character")
    try:
        total = sum((LENGTH - i) * _VALUES[ch] for i, ch in enumerate(body))
    except KeyError as exc:
        raise EicError(f"character {exc.args[0]!r} is not allowed in an EIC code") from None
    return ALPHABET[36 - (total - 1) % 37]


def is_valid_eic(code: str) -> bool:
    """True for 16 characters of ``0-9A-Z-`` (any case) whose last is the right check
    character (never ``-``)."""
    if len(code) != LENGTH:
        return False
    try:
        expected = check_char(code[:-1])
    except EicError:
        return False
    return expected != "-" and code[-1].upper() == expected


def eic_from_digits(twelve_digits: str) -> str:
    """The Ukrainian metering point's code ``62Z`` + 12 digits + check character."""
    if len(twelve_digits) != KEYED_DIGITS or not (
        twelve_digits.isascii() and twelve_digits.isdigit()
    ):
        raise EicError("expected the 12 digits after 62Z")
    body = UKRAINE_METERING_POINT + twelve_digits
    check = check_char(body)
    if check == "-":
        raise EicError("no EIC code has these digits (its check character would be '-')")
    return body + check
