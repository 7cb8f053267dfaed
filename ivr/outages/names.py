"""Comparable forms of settlement and street names as registries and DSOs write them (house
numbers: ``ivr.accounts.houses.house_key``)."""

from __future__ import annotations

import re

_STREET_TYPES = re.compile(
    r"^(вулиця|вул\.?|проспект|просп\.?|провулок|пров\.?|площа|пл\.?|бульвар|бульв\.?|б-р)\s+"
)
_SETTLEMENT_TYPES = re.compile(r"^(місто|селище|село|смт\.?|м\.|с\.)\s*")


def _words(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("ʼ", "'").casefold().split())


def settlement_key(name: str) -> str:
    """``"м. Вишневе"`` and ``"вишневе"`` compare equal."""
    return _SETTLEMENT_TYPES.sub("", _words(name))


def street_key(name: str) -> str:
    """``"вул. Садова"``, ``"вулиця  Садова"`` and ``"садова"`` compare equal."""
    return _STREET_TYPES.sub("", _words(name))
