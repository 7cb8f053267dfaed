"""Sans-IO AGI protocol: argument quoting, command lines, replies and the env block.

Nothing here reads or writes a socket. The process-AGI session (``sync_session``) and the
FastAGI connection (``ivr.transport.connection``) read lines, feed them to the state machines
below and write what ``format_command`` returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .types import AgiArgumentError, AgiCommandError, AgiHangup, AgiProtocolError, Command, Reply

#: Asterisk's ``AGI_BUF_LEN``: a command line (newline included) must stay below this.
MAX_LINE = 8192
#: Upper bound on env-block lines (20 fixed keys + at most 128 ``agi_arg_N`` + FastAGI extras).
MAX_ENV_LINES = 512
#: Upper bound on the usage text of a multi-line ``520`` reply.
MAX_USAGE_LINES = 256

_NAME_RE = re.compile(r"[A-Z][A-Z ]*[A-Z]")
_FORBIDDEN = {"\r": "CR", "\n": "LF", "\0": "NUL"}
_CODE_RE = re.compile(r"(\d{3})(?:([ -])(.*))?", re.DOTALL)
_REPLY_RE = re.compile(r"200\s+result=(\S*)(.*)", re.DOTALL)
_ENDPOS_RE = re.compile(r"endpos=(-?\d+)")
_USAGE_END = "520 End of proper usage."


def _strip_eol(line: str) -> str:
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


def _short(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


# --------------------------------------------------------------------------- commands


def quote_arg(value: str) -> str:
    """Quote one argument so that Asterisk's ``parse_args()`` gives back exactly ``value``.

    ``\\`` and ``"`` are backslash-escaped and the result is wrapped in double quotes
    (``""`` for the empty string). CR, LF and NUL cannot be escaped in AGI (a newline ends
    the command, the rest would run as a second command), so they raise AgiArgumentError.
    """
    if not isinstance(value, str):
        raise AgiArgumentError(f"AGI argument must be str, got {type(value).__name__}")
    for ch, name in _FORBIDDEN.items():
        if ch in value:
            raise AgiArgumentError(f"AGI argument contains {name}: {_short(value)}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _arg_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise AgiArgumentError(f"AGI argument must be str or int, got {type(value).__name__}")


def format_command(cmd: Command) -> bytes:
    """``NAME "arg1" "arg2"\\n`` as UTF-8; every argument is quoted with ``quote_arg``.

    Raises AgiArgumentError for a malformed name, an unsafe argument, text that cannot be
    encoded, or a line (newline included) longer than ``MAX_LINE - 1`` bytes.
    """
    if not isinstance(cmd.name, str) or not _NAME_RE.fullmatch(cmd.name):
        raise AgiArgumentError(f"invalid AGI command name: {cmd.name!r}")
    parts = [cmd.name, *(quote_arg(_arg_text(a)) for a in cmd.args)]
    try:
        data = (" ".join(parts) + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AgiArgumentError(f"{cmd.name}: argument is not encodable as UTF-8") from exc
    if len(data) > MAX_LINE - 1:
        raise AgiArgumentError(
            f"{cmd.name}: command line is {len(data)} bytes (max {MAX_LINE - 1})"
        )
    return data


# --------------------------------------------------------------------------- replies


def parse_reply(line: str) -> Reply:
    """Parse a final ``200 result=<r> [(<data>)] [endpos=<n>]`` line.

    ``data`` runs up to the LAST ``)``; ``endpos`` may come before or after it. Free text
    that is neither (e.g. GOSUB's ``200 result=0 Gosub complete``) is kept only in ``raw``.
    """
    line = _strip_eol(line)
    m = _REPLY_RE.fullmatch(line)
    if m is None:
        raise AgiProtocolError(f"not a 200 reply: {_short(line)}")
    result, rest = m.group(1), m.group(2).strip()
    data: str | None = None
    endpos: int | None = None
    while rest:
        em = _ENDPOS_RE.match(rest)
        if rest.startswith("(") and data is None:
            end = rest.rfind(")")
            if end < 0:
                raise AgiProtocolError(f"unbalanced parenthesis in reply: {_short(line)}")
            data, rest = rest[1:end], rest[end + 1 :].lstrip()
        elif em is not None and endpos is None:
            endpos, rest = int(em.group(1)), rest[em.end() :].lstrip()
        else:
            break
    return Reply(code=200, result=result, data=data, endpos=endpos, raw=line)


class ReplyReader:
    """State machine that turns the lines following one command into a Reply or an error.

    ``feed(line)`` returns the final Reply, None when more lines are needed, or raises
    AgiHangup (``511``, ``200 result=-1 (hangup)``), AgiCommandError (``503``/``510``/``520``)
    or AgiProtocolError (empty line, garbage). An unsolicited ``HANGUP`` line sets
    ``hangup_seen`` and the reader keeps waiting for the real reply.

    Intended use is one reader per command. After a reply or an error the per-reply state
    (multi-line ``520``) is cleared automatically, so a reader may be reused; ``hangup_seen``
    is sticky until ``reset()``.
    """

    __slots__ = ("hangup_seen", "_usage", "_usage_head")

    def __init__(self) -> None:
        self.hangup_seen = False
        self._usage: list[str] | None = None
        self._usage_head = ""

    def reset(self) -> None:
        """Forget everything, including ``hangup_seen``."""
        self.hangup_seen = False
        self._usage = None
        self._usage_head = ""

    def feed(self, line: str) -> Reply | None:
        line = _strip_eol(line)
        if self._usage is not None:
            self._feed_usage(self._usage, line)  # raises at the end marker
            return None
        if line == "HANGUP":
            self.hangup_seen = True
            return None
        m = _CODE_RE.fullmatch(line)
        if m is None:
            raise AgiProtocolError(f"unexpected line from Asterisk: {_short(line)}")
        code, sep, text = int(m.group(1)), m.group(2) or " ", m.group(3) or ""
        if code == 100:  # GOSUB "100 result=0 Trying..."
            return None
        if code == 200 and sep == " ":
            reply = parse_reply(line)
            if reply.result == "-1" and reply.data == "hangup":
                raise AgiHangup(f"hangup during command: {line}")
            return reply
        if code == 520 and sep == "-":
            self._usage, self._usage_head = [], text
            return None
        if sep == " ":
            if code == 511:
                raise AgiHangup(f"511 {text}".rstrip())
            if code in (503, 510, 520):
                raise AgiCommandError(code, text)
        raise AgiProtocolError(f"unexpected line from Asterisk: {_short(line)}")

    def _feed_usage(self, usage: list[str], line: str) -> None:
        # Before Asterisk 13.17 the end marker could be glued onto the last usage line.
        idx = line.find(_USAGE_END)
        if idx < 0:
            if len(usage) >= MAX_USAGE_LINES:
                self._usage = None
                raise AgiProtocolError("520 usage text does not end")
            usage.append(line)
            return
        if idx:
            usage.append(line[:idx])
        head = self._usage_head
        self._usage, self._usage_head = None, ""
        raise AgiCommandError(520, head, usage="\n".join(usage))


class CallState:
    """Hangup bookkeeping shared by the process-AGI session and the FastAGI connection.

    ``signalled``: the channel is dead (HANGUP line, SIGHUP, 511, ``-1 (hangup)``) but the
    connection still works, so dead-safe commands may be sent. ``closed``: the connection is
    unusable (EOF, broken pipe, protocol error, interrupted exchange); nothing is written.
    """

    __slots__ = ("signalled", "closed")

    def __init__(self) -> None:
        self.signalled = False
        self.closed = False

    @property
    def hung_up(self) -> bool:
        return self.signalled or self.closed

    def before_send(self, cmd: Command) -> None:
        """Raise AgiHangup if ``cmd`` must not be written any more."""
        if self.closed:
            raise AgiHangup(f"connection to Asterisk is closed; {cmd.name} not sent")
        if self.signalled and not cmd.dead_safe:
            raise AgiHangup(f"channel hung up; {cmd.name} not sent")

    def on_line(self, reader: ReplyReader, line: str) -> Reply | None:
        """Feed one reply line, updating the state; a ``-1`` after a hangup raises AgiHangup."""
        try:
            reply = reader.feed(line)
        except AgiHangup:
            self.signalled = True
            raise
        except AgiProtocolError:
            self.closed = True
            raise
        finally:
            if reader.hangup_seen:
                self.signalled = True
        if reply is not None and reply.result == "-1" and self.signalled:
            raise AgiHangup(f"hangup signalled; command returned {reply.raw}")
        return reply

    def on_eof(self) -> AgiHangup:
        """Mark the connection closed; returns the exception for the caller to raise."""
        self.closed = True
        return AgiHangup("Asterisk closed the AGI connection")


# --------------------------------------------------------------------------- lines and env


def decode_line(raw: bytes) -> str:
    """UTF-8 with replacement characters (never raises), without the trailing ``\\n``/``\\r\\n``."""
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    return raw.decode("utf-8", errors="replace")


def check_raw_line(raw: bytes) -> str:
    """Decode a line read with a byte limit; AgiProtocolError if it exceeds ``MAX_LINE``."""
    if len(raw.rstrip(b"\r\n")) > MAX_LINE:
        raise AgiProtocolError(f"line from Asterisk longer than {MAX_LINE} bytes")
    return decode_line(raw)


class EnvBlockReader:
    """Incremental reader of the ``key: value`` block that starts every AGI session.

    ``feed(line)`` returns True once the terminating empty line arrived. Lines are split on
    the first ``": "`` (falling back to the first ``":"``); lines without a colon or key are
    counted in ``ignored``. A truncated block simply leaves ``done`` False with ``env``
    holding what was read. More than ``MAX_ENV_LINES`` lines raise AgiProtocolError.
    """

    __slots__ = ("env", "done", "lines", "ignored")

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        self.done = False
        self.lines = 0
        self.ignored = 0

    def feed(self, line: str) -> bool:
        if self.done:
            return True
        line = _strip_eol(line)
        if not line:
            self.done = True
            return True
        if self.lines >= MAX_ENV_LINES:
            raise AgiProtocolError(f"AGI environment block longer than {MAX_ENV_LINES} lines")
        self.lines += 1
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            self.ignored += 1
        else:
            self.env[key] = value
        return False


def parse_env(lines: Iterable[str]) -> dict[str, str]:
    """Parse an env block from ``lines``, stopping at the first empty line."""
    reader = EnvBlockReader()
    for line in lines:
        if reader.feed(line):
            break
    return reader.env
