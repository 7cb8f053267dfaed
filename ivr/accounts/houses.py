"""House numbers as written (``12-А``, ``3А``, ``5/2``) and their key for matching.

The key is the house number with the Latin letters that look like Cyrillic ones made Cyrillic
(capitals ``A B C E H I K M O P T X``, small ``a c e i o p x y``), then upper-case, without
spaces, hyphens or dashes: ``12-а``, ``12 А`` and ``12A`` (Latin) all have the key ``12А``.
Other Latin letters stay Latin (a small ``b`` is not a ``в``), and a slash stays (``5/2`` is not
``52``).
"""

from __future__ import annotations

import re

_LOOKALIKES = str.maketrans("ABCEHIKMOPTXaceiopxy", "АВСЕНІКМОРТХасеіорху")
_DROPPED = re.compile(r"[\s\-\u2010-\u2015]")


def house_key(house: str) -> str:
    """The house number normalised for matching (see the module's docstring)."""
    return _DROPPED.sub("", house.translate(_LOOKALIKES)).upper()
