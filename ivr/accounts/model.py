"""The account record, defined once: what the registry import produces, the store keeps and
identification finds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Address:
    settlement: str
    street: str
    house: str  # with its letter suffix as written: "12-А", "3А"


@dataclass(frozen=True)
class Account:
    number: str  # personal account number (особовий рахунок), digits, length from config
    eic: str | None  # the metering point's EIC code, 16 characters ("62Z...")
    phones: tuple[str, ...]  # numbers on record, E.164 (+380XXXXXXXXX)
    address: Address
    groups: tuple[str, ...]  # ГПВ groups ("3.1"); a house fed by two lines has two
    supplier: str | None = None  # the supplier's name or code, for later routing
    zones: int = 1  # the meter's zones: 1, 2 (day/night) or 3 (night/peak/half-peak)
