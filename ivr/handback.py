"""The hand-back: what the IVR tells the dialplan when its part of the call is over.

One channel variable, ``IVR``, carries five fields separated by ``|``::

    IVR="<result>|<transfer_to>|<topic>|<call_id>|<appeal_id>"

and the dialplan (``dialplan/extensions_ivr.conf``) splits it with ``CUT()`` into
``IVR_RESULT``, ``IVR_TRANSFER_TO``, ``IVR_TOPIC``, ``IVR_CALL_ID`` and ``IVR_APPEAL_ID``, the
variables its logic (and the admins' own dialplan) works with. One ``SET VARIABLE`` instead of
five saves four round trips per call, and one variable is atomic: either the whole decision
reached the dialplan or none of it did (a server killed mid-call leaves ``IVR`` unset).

``|`` can never be inside a field: the result is one of four words, queue names are checked
against ``QUEUE_RE`` (no ``|``, commas, spaces, quotes, parentheses or backslashes), transfer
and redirect targets are phone numbers (``+`` and digits), topic codes are letters, digits,
``_`` and ``-``, the call id is a hex UUID and the appeal number digits. It means nothing to
AGI's quoting or to Asterisk's argument parser (``,`` separates arguments, ``;`` starts a
comment), and ``CUT()`` takes it as its delimiter unescaped.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The channel variable the IVR sets (once, at the end of its part of the call).
VARIABLE = "IVR"
SEPARATOR = "|"
#: The dialplan's variables, in the order of the fields.
FIELDS = ("IVR_RESULT", "IVR_TRANSFER_TO", "IVR_TOPIC", "IVR_CALL_ID", "IVR_APPEAL_ID")


def join(result: str, transfer_to: str, topic: str, call_id: str, appeal_id: str) -> str:
    """The value of ``IVR``. A separator inside a field (impossible with a valid
    configuration) is dropped rather than shifting the fields after it."""
    fields = (result, transfer_to, topic, call_id, appeal_id)
    return SEPARATOR.join(field.replace(SEPARATOR, "") for field in fields)


def split(value: str) -> dict[str, str]:
    """The five variables as the dialplan's ``CUT(IVR,|,N)`` gives them (missing fields
    are empty, as ``CUT`` makes them)."""
    parts = value.split(SEPARATOR)
    return {name: parts[i] if i < len(parts) else "" for i, name in enumerate(FIELDS)}


def dialplan_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """Channel variables as the dialplan sees them after its split: ``variables`` with the
    five fields of ``IVR`` added when it is set (unchanged otherwise)."""
    seen = dict(variables)
    if VARIABLE in seen:
        seen.update(split(seen[VARIABLE]))
    return seen
