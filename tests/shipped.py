"""The shipped config.yaml copied elsewhere by the tests: what keeps its meaning there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECTORY = ROOT / "examples" / "directory.yaml"
#: the ``profiles`` section of the shipped config.yaml (its comment lines stay)
PROFILES_RE = re.compile(r"^profiles:\n(?:  .*\n)*", re.MULTILINE)


def single_company(text: str) -> str:
    """The shipped config's text for another folder, as the DSO alone: its directory file
    named by absolute path, its ``profiles`` (the supplier, whose prompts and audio are
    relative to examples/) left out. Tests of profiles make their own."""
    text = text.replace("examples/directory.yaml", str(DIRECTORY))
    assert PROFILES_RE.search(text), "config.yaml has no profiles section"
    return PROFILES_RE.sub("", text)
