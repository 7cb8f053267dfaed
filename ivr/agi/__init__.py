"""Strict Asterisk AGI layer: sans-IO protocol, process-AGI (pyst2) and FastAGI sessions.

The call-flow engine talks to a session through one method: ``send(cmd) -> Reply``
(``await send(cmd)`` for FastAGI).
"""

from .asterisk_args import split_command_line
from .async_session import AsyncAgiSession
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
from .sync_session import PystAgi
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
