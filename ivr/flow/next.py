"""What an action handler returns: where the call goes next (Adhearsion-style typed results)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from ivr.store.records import Outcome, Result


@dataclass(frozen=True)
class Stay:
    """Back to the same menu (its short greeting); ``pending`` is a menu key the caller pressed
    during the action, taken as the next choice without playing the menu again."""

    pending: str | None = None


@dataclass(frozen=True)
class GoTo:
    """Into another menu (its full greeting)."""

    menu: str


@dataclass(frozen=True)
class GoBack:
    """To the previous menu (from the entry menu: its full greeting again)."""


@dataclass(frozen=True)
class GoMain:
    """To the entry menu."""


@dataclass(frozen=True)
class Replay:
    """This menu again, with its full greeting."""


@dataclass(frozen=True)
class End:
    """The IVR is done with the call: ``result`` tells the dialplan what to do with it."""

    result: Result
    outcome: Outcome
    transfer_to: str | None = None


Next = Stay | GoTo | GoBack | GoMain | Replay | End
#: What a flow step yields (AGI commands, effects), is sent (replies, effect results) and returns.
Steps = Generator[Any, Any, Next]
