"""Comparable forms of settlement, street and house names as registries and DSOs write them."""

from __future__ import annotations

import re

_STREET_TYPES = re.compile(
    r"^(вулиця|вул\.?|проспект|просп\.?|провулок|пров\.?|площа|пл\.?|бульвар|бульв\.?|б-р)\s+"
)
_SETTLEMENT_TYPES = re.compile(r"^(місто|селище|село|смт\.?|м\.|с\.)\s*")
# Latin letters that look like Cyrillic ones in house numbers ("12A" typed on a Latin keyboard).
_LOOKALIKES = str.maketrans("ABCEHIKMOPTX", "АВСЕНІКМОРТХ")


def _words(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("ʼ", "'").casefold().split())


def settlement_key(name: str) -> str:
    """``"м. Вишневе"`` and ``"вишневе"`` compare equal."""
    return _SETTLEMENT_TYPES.sub("", _words(name))


def street_key(name: str) -> str:
    """``"вул. Садова"``, ``"вулиця  Садова"`` and ``"садова"`` compare equal."""
    return _STREET_TYPES.sub("", _words(name))


def house_key(number: str) -> str:
    """``"12-А"``, ``"12 а"`` and ``"12A"`` (Latin A) compare equal."""
    return re.sub(r"[\s\-/]", "", number.upper().translate(_LOOKALIKES))
