"""A plan: the fragment ids that say one value, in order, and the text they make."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ivr.speech.fragments import LANGUAGE, catalogue


class SayError(ValueError):
    """A value that cannot be said: malformed or out of range. The message is for the admin."""


@dataclass(frozen=True)
class Plan:
    fragments: tuple[str, ...]

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.fragments + other.fragments)

    def __iter__(self) -> Iterator[str]:
        return iter(self.fragments)

    def __len__(self) -> int:
        return len(self.fragments)

    def text(self, language: str = LANGUAGE) -> str:
        """What the caller hears; a pause shows as a comma."""
        fragments = catalogue(language)
        out = ""
        for fragment_id in self.fragments:
            fragment = fragments[fragment_id]
            if fragment.is_pause:
                out += ","
            else:
                out += (" " if out else "") + fragment.text
        return out.rstrip(",")

    def pairs(self, language: str = LANGUAGE) -> list[tuple[str, str]]:
        """(fragment id, its text) for each fragment, for ``ivr say`` and the simulator."""
        fragments = catalogue(language)
        return [
            (f, fragments[f].text or f"({fragments[f].silence_ms} ms pause)")
            for f in self.fragments
        ]
