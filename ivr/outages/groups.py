"""ГПВ group names: ``N.M`` (queue and sub-queue), optionally limited to the configured ones."""

from __future__ import annotations

import re
from collections.abc import Collection

_GROUP = re.compile(r"[1-9][0-9]?\.[1-9][0-9]?")


def group_problem(name: str, known_groups: Collection[str] | None = None) -> str | None:
    """Why ``name`` is not a usable group, or None when it is."""
    if not _GROUP.fullmatch(name):
        return f'group "{name}" is not a group name like "3.1" (queue.sub-queue)'
    if known_groups is not None and name not in known_groups:
        listed = ", ".join(sorted(known_groups)) or "none"
        return f'unknown group "{name}" (the configured groups: {listed})'
    return None
