"""An account's address as appeals keep it: as written, and its comparable keys."""

from __future__ import annotations

from ivr.accounts.houses import house_key
from ivr.accounts.model import Address
from ivr.outages.names import settlement_key, street_key


def address_text(address: Address) -> str:
    """``"Вишневе, вул. Садова, 12-А"`` (the parts the registry has)."""
    return ", ".join(part for part in (address.settlement, address.street, address.house) if part)


def address_keys(address: Address) -> tuple[str, str]:
    """The house's key and the street's key: ``("вишневе|садова|12А", "вишневе|садова")``.
    Two spellings of one house ("вул. Садова, 12-А" and "Садова 12а") give the same keys."""
    street = street_place_key(address.settlement, address.street)
    return f"{street}|{house_key(address.house)}", street


def street_place_key(settlement: str, street: str) -> str:
    """A street's key: its settlement's and its own comparable names (``"вишневе|садова"``)."""
    return f"{settlement_key(settlement)}|{street_key(street)}"


def settlement_prefix(settlement: str) -> str:
    """What every street key of the settlement starts with (``"вишневе|"``)."""
    return f"{settlement_key(settlement)}|"
