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
    street = f"{settlement_key(address.settlement)}|{street_key(address.street)}"
    return f"{street}|{house_key(address.house)}", street
