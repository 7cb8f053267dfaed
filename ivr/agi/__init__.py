"""Strict Asterisk AGI layer: sans-IO protocol, process-AGI (pyst2) and FastAGI sessions.

The call-flow engine talks to a session through one method: ``send(cmd) -> Reply``
(``await send(cmd)`` for FastAGI).
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
    from .async_session import AsyncAgiSession
    from .sync_session import PystAgi


def __getattr__(name: str) -> Any:
    """The sessions are imported on first use: asyncio (FastAGI) and pyst2 (process AGI)
    cost start-up time the other transport does not need."""
    if name == "AsyncAgiSession":
        from .async_session import AsyncAgiSession

        return AsyncAgiSession
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
    "AsyncAgiSession",
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
