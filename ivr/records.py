"""Reading records back from JSON written by any earlier version (journal lines).

A journal line may have been written by an older ``ivr`` (a field it did not have yet, one it
had under another name) or a newer one (a field this version does not know). Records are
therefore built from JSON by their dataclass fields: renamed keys are mapped, unknown keys
are dropped, missing fields take their defaults. Only a field without a default that is
missing makes a line unreadable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


def known_fields(
    cls: type, values: Mapping[str, Any], renamed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``values`` reduced to the dataclass ``cls``'s fields, old names mapped to new ones."""
    names = {f.name for f in dataclasses.fields(cls)}
    result: dict[str, Any] = {}
    for key, value in values.items():
        key = (renamed or {}).get(key, key)
        if key in names:
            result[key] = value
    return result
