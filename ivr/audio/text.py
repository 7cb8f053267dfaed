"""Is a prompt text something the voice can say? Checked by the validator and the build."""

from __future__ import annotations

import unicodedata

UKRAINIAN_LETTERS = frozenset("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя")
APOSTROPHES = frozenset("'\u2019\u02bc")
PUNCTUATION = frozenset('.,!?;:-\u2013\u2014\u2026«»"\u201e\u201c\u201d()')
RUSSIAN_ONLY = frozenset("ыэъё")


def _is_sayable(ch: str) -> bool:
    return ch.lower() in UKRAINIAN_LETTERS or ch in APOSTROPHES or ch in PUNCTUATION or ch.isspace()


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"'{ch}' ({name.lower()})" if ch.isprintable() else name.lower()


def text_problems(text: str) -> list[str]:
    """Why the voice cannot say ``text`` correctly; empty when it can."""
    if not text or not text.strip():
        return ["empty text: there is nothing to say"]
    bad = [ch for ch in dict.fromkeys(text) if not _is_sayable(ch)]
    if not bad:
        return []
    problems: list[str] = []
    digits = [ch for ch in bad if ch.isdigit()]
    latin = [ch for ch in bad if ch.isascii() and ch.isalpha()]
    russian = [ch for ch in bad if ch.lower() in RUSSIAN_ONLY]
    other = [ch for ch in bad if ch not in digits + latin + russian]
    if digits:
        problems.append(
            "digits " + "".join(digits) + ": write numbers in words as they are "
            "said (`ivr say` shows the words); the voice reads digits wrongly"
        )
    if latin:
        problems.append(
            "Latin letters " + "".join(latin) + ": write the words in Ukrainian "
            "letters; the voice would read them in English or not at all"
        )
    if russian:
        problems.append("letters " + "".join(russian) + " are not Ukrainian")
    if other:
        problems.append("characters the voice cannot say: " + ", ".join(map(_describe, other)))
    return problems
