"""The directory of companies (``directory:`` in config.yaml): who serves which area, so a
misrouted caller hears the right company's contacts."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class CompanyRole(enum.StrEnum):
    """What a directory entry is."""

    SUPPLIER = "supplier"
    UNIVERSAL_SUPPLIER = "universal_supplier"  # постачальник універсальних послуг
    DSO = "dso"

    @property
    def handles(self) -> str:
        """The topic role whose questions this company answers (``supplier`` or ``dso``)."""
        return "dso" if self is CompanyRole.DSO else "supplier"


#: Weekly hours as written (``mon-fri: "08:00-20:00"``), or a text such as ``always``; kept
#: as data: the directory never decides whether another company is open.
Hours = str | Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True)
class DirectoryEntry:
    id: str
    name: str
    role: CompanyRole
    regions: tuple[str, ...]  # ids of ivr.config.regions.REGIONS
    settlements: tuple[str, ...]
    number: str  # the single multichannel number
    name_prompt: str  # the prompt that says the company's name
    alternatives: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    hours: Hours | None = None
    info_prompt: str | None = None  # optional: what else callers should hear about it


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


@dataclass(frozen=True)
class Directory:
    entries: tuple[DirectoryEntry, ...] = ()
    by_id: Mapping[str, DirectoryEntry] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: tuple[DirectoryEntry, ...]) -> Directory:
        return cls(entries, {e.id: e for e in entries})

    def find(self, id_or_name: str | None) -> DirectoryEntry | None:
        """The entry with this id or name (case and spacing ignored; the name may be the bare
        name inside «» quotes)."""
        if not id_or_name or not id_or_name.strip():
            return None
        if id_or_name.strip() in self.by_id:
            return self.by_id[id_or_name.strip()]
        wanted = _folded(id_or_name)
        for entry in self.entries:
            names = {_folded(entry.name), _folded(entry.id)}
            if "«" in entry.name and "»" in entry.name:
                names.add(_folded(entry.name.split("«", 1)[1].split("»", 1)[0]))
            if wanted in names:
                return entry
        return None

    def region_of(self, settlement: str | None) -> str | None:
        """The region of the first entry that lists this settlement."""
        entry = self._serving(settlement, None)
        return entry.regions[0] if entry is not None and entry.regions else None

    def dso_for(self, settlement: str | None) -> DirectoryEntry | None:
        """The DSO that lists this settlement."""
        return self._serving(settlement, CompanyRole.DSO)

    def in_region(self, region: str, role: CompanyRole) -> DirectoryEntry | None:
        """The first entry of this role serving the region."""
        return next((e for e in self.entries if e.role is role and region in e.regions), None)

    def _serving(self, settlement: str | None, role: CompanyRole | None) -> DirectoryEntry | None:
        if not settlement:
            return None
        wanted = _folded(settlement)
        for entry in self.entries:
            if role is not None and entry.role is not role:
                continue
            if any(_folded(s) == wanted for s in entry.settlements):
                return entry
        return None


@dataclass(frozen=True)
class Misrouted:
    """How a misrouted caller is routed with the directory (``misrouted`` in config.yaml)."""

    offer_prompt: str  # "press 1 to be connected, * to go back"
    transfer_key: str = "1"
    #: asks a caller whose area is unknown for their region; ``regions`` keys -> region ids
    region_prompt: str | None = None
    regions: Mapping[str, str] = field(default_factory=dict)
    #: said when the directory has no company for the area (None: the operator takes it)
    national_number: str | None = None
