"""Value types shared by the AGI protocol layer, the sessions and the call-flow engine."""

from __future__ import annotations

from dataclasses import dataclass

#: Commands Asterisk still accepts on a dead (hung-up) channel (res_agi.c commands[] "dead" flag).
DEAD_SAFE_COMMANDS = frozenset(
    {
        "EXEC",
        "GET VARIABLE",
        "GET FULL VARIABLE",
        "SET VARIABLE",
        "DATABASE GET",
        "DATABASE PUT",
        "DATABASE DEL",
        "DATABASE DELTREE",
        "VERBOSE",
        "NOOP",
        "ASYNCAGI BREAK",
    }
)


@dataclass(frozen=True)
class Command:
    """One AGI command: ``name`` is the verb (``"STREAM FILE"``), ``args`` are raw values.

    The protocol layer quotes the arguments; callers never pre-quote.
    """

    name: str
    args: tuple[str, ...] = ()

    @property
    def dead_safe(self) -> bool:
        return self.name in DEAD_SAFE_COMMANDS


@dataclass(frozen=True)
class Reply:
    """A final ``200`` reply: ``200 result=<result> [(<data>)] [endpos=<n>]``."""

    code: int
    result: str  # text after ``result=`` (may be empty: ``result= (timeout)``)
    data: str | None = None  # text inside the parentheses, up to the last ``)``
    endpos: int | None = None
    raw: str = ""

    @property
    def value(self) -> int | None:
        """``result`` as an int, or None when it is empty or not numeric."""
        try:
            return int(self.result)
        except ValueError:
            return None

    @property
    def digit(self) -> str | None:
        """The DTMF key for STREAM FILE / WAIT FOR DIGIT replies (``result=49`` -> ``"1"``)."""
        v = self.value
        if v is None or v <= 0:
            return None
        ch = chr(v)
        return ch if ch in "0123456789*#ABCD" else None


class AgiError(Exception):
    """Base class of everything the AGI layer raises."""


class AgiHangup(AgiError):
    """The call is over: ``HANGUP`` line, SIGHUP, EOF, ``511`` or ``result=-1 (hangup)``."""


class AgiCommandError(AgiError):
    """Asterisk rejected a command: ``510`` (unknown) or ``520`` (usage text in ``usage``)."""

    def __init__(self, code: int, message: str, usage: str = "") -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.usage = usage


class AgiProtocolError(AgiError):
    """The peer sent something that is not AGI (garbage, oversized line, bad env block)."""


class AgiArgumentError(AgiError, ValueError):
    """An argument cannot be sent safely (contains CR or LF, or is too long)."""
