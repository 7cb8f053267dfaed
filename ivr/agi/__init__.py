"""Strict Asterisk AGI layer: the sans-IO protocol and the process-AGI (pyst2) session.

The process-AGI session has one method for the engine's driver: ``send(cmd) -> Reply``.
The FastAGI server feeds the same sans-IO readers from its protocol callbacks
(``ivr.transport.connection``).
"""

from typing import TYPE_CHECKING, Any

from .asterisk_args import split_command_line
from .protocol import (
    MAX_LINE,
    EnvBlockReader,
    ReplyReader,
    decode_line,
    format_command,
    parse_env,
    parse_reply,
    quote_arg,
)
from .types import (
    DEAD_SAFE_COMMANDS,
    AgiArgumentError,
    AgiCommandError,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    Command,
    Reply,
)

if TYPE_CHECKING:
    from .sync_session import PystAgi


def __getattr__(name: str) -> Any:
    """The session is imported on first use: pyst2 costs start-up time that the FastAGI
    server does not need."""
    if name == "PystAgi":
        from .sync_session import PystAgi

        return PystAgi
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEAD_SAFE_COMMANDS",
    "MAX_LINE",
    "AgiArgumentError",
    "AgiCommandError",
    "AgiError",
    "AgiHangup",
    "AgiProtocolError",
    "Command",
    "EnvBlockReader",
    "PystAgi",
    "Reply",
    "ReplyReader",
    "decode_line",
    "format_command",
    "parse_env",
    "parse_reply",
    "quote_arg",
    "split_command_line",
]
