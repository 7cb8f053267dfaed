"""The fragment catalogue: short recorded pieces of Ukrainian speech, as data.

``fragments_uk.yaml`` maps a fragment id (``digits/5``, ``time/at_18``) to the text the caller
hears, or to ``{silence_ms: N}`` for a pause. The planner (:mod:`ivr.speech.grammar`) only
names fragment ids; the audio build renders each fragment like any prompt, to
``<sounds>/<language>/<fragment id>.wav``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

LANGUAGE = "uk"
FRAGMENT_ID_RE = re.compile(r"^[a-z]+/[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Fragment:
    id: str
    text: str  # what the caller hears; "" for a pause
    silence_ms: int = 0  # > 0: a pause of this length, not speech

    @property
    def is_pause(self) -> bool:
        return self.silence_ms > 0


class CatalogueError(ValueError):
    """The shipped fragment catalogue is malformed (a packaging or editing mistake)."""


def parse_catalogue(data: object, source: str) -> dict[str, Fragment]:
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: expected a mapping of fragment id -> text")
    result: dict[str, Fragment] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not FRAGMENT_ID_RE.match(key):
            raise CatalogueError(f"{source}: bad fragment id {key!r} (use group/name)")
        if isinstance(value, dict):
            silence = value.get("silence_ms")
            if set(value) != {"silence_ms"} or not isinstance(silence, int) or silence <= 0:
                raise CatalogueError(f"{source}: {key}: expected {{silence_ms: N}} with N > 0")
            result[key] = Fragment(key, "", silence)
        elif isinstance(value, str) and value.strip():
            result[key] = Fragment(key, " ".join(value.split()))
        else:
            raise CatalogueError(f"{source}: {key}: expected text or {{silence_ms: N}}")
    return result


@cache
def catalogue(language: str = LANGUAGE) -> dict[str, Fragment]:
    """The fragments of a language by id (only Ukrainian is shipped)."""
    import yaml  # here, not at import: process AGI starts without PyYAML on its hot path

    name = f"fragments_{language}.yaml"
    try:
        text = resources.files("ivr.speech").joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(f"no speech fragments for language '{language}'") from None
    return parse_catalogue(yaml.safe_load(text), name)


def fragment_text(fragment_id: str, language: str = LANGUAGE) -> str:
    return catalogue(language)[fragment_id].text
