"""Caller identity from the AGI environment: raw value, normalised +380 form, masking for logs."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Values Asterisk or carriers send when the number is withheld or absent.
WITHHELD = frozenset({"", "unknown", "anonymous", "restricted", "private", "unavailable"})

_SEPARATORS = re.compile(r"[\s\-().]")


@dataclass(frozen=True)
class CallerId:
    raw: str  # exactly what Asterisk sent (cleaned of control characters)
    number: str | None  # +380XXXXXXXXX for a Ukrainian number, else None
    name: str

    @property
    def withheld(self) -> bool:
        return self.raw.strip().lower() in WITHHELD


def clean_text(value: str, limit: int = 128) -> str:
    """Drop control characters (CR, LF, NUL...) and cap the length of an untrusted value."""
    return "".join(ch if ch.isprintable() else " " for ch in value).strip()[:limit]


def normalise_ua(raw: str) -> str | None:
    """Return the E.164 form ``+380XXXXXXXXX`` of a Ukrainian number, or None.

    Accepts the national form (``0441234567``), the international forms (``380...``,
    ``+380...``, ``00380...``) and the old trunk form (``80441234567``).
    """
    value = _SEPARATORS.sub("", raw.strip())
    if value.startswith("+"):
        value = value[1:]
    elif value.startswith("00"):
        value = value[2:]
    if not value.isdigit():
        return None
    if len(value) == 12 and value.startswith("380"):
        national = value[3:]
    elif len(value) == 11 and value.startswith("80"):
        national = value[2:]
    elif len(value) == 10 and value.startswith("0"):
        national = value[1:]
    else:
        return None
    if national[0] == "0":
        return None
    return "+380" + national


def from_env(env: dict[str, str]) -> CallerId:
    raw = clean_text(env.get("agi_callerid", "unknown")) or "unknown"
    name = clean_text(env.get("agi_calleridname", "unknown"))
    number = None if raw.lower() in WITHHELD else normalise_ua(raw)
    return CallerId(raw=raw, number=number, name="" if name.lower() in WITHHELD else name)


def mask(number: str | None, visible: int = 3) -> str:
    """Mask a phone number for logs: ``+380441234567`` -> ``*********567``."""
    if not number:
        return "-"
    if number.lower() in WITHHELD:
        return number
    keep = number[-visible:] if len(number) > visible else ""
    return "*" * (len(number) - len(keep)) + keep


def masked(data: dict[str, object]) -> dict[str, object]:
    """A record (``CallRecord.to_json()``) for a log line: caller numbers masked, its appeals'
    too. The one place personal data is masked (the server's and process AGI's logs)."""
    data = dict(data)
    for key in ("caller_raw", "caller_number", "account_number"):
        if key in data:
            value = data[key]
            data[key] = mask(value if isinstance(value, str) else None)
    appeals = data.get("appeals")
    if isinstance(appeals, list):
        data["appeals"] = [masked(a) for a in appeals if isinstance(a, dict)]
    return data
