"""Socket options for FastAGI connections: no Nagle and no delayed-ACK wait on our side.

res_agi does not set TCP_NODELAY on its FastAGI sockets, so Asterisk holds a small write back
while an earlier one is not yet acknowledged (Nagle). That happens when it writes two lines in
a row: the reply to an interrupted command (``200 result=-1``) and the ``HANGUP`` line it
sends when it notices the hang-up right after. The second line, and every reply after it,
then waited for our delayed ACK: about 40 ms (Linux's minimum delayed-ACK time) before the
HANGUP line or the reply to our next command reached us (BENCHMARKS.md, "Hang-ups under the
real Asterisk").

``tune_agi_socket`` sets TCP_NODELAY (our commands are single writes, so it only matters if
that ever changes) and TCP_QUICKACK. Linux does not keep TCP_QUICKACK: sending data shortly
after receiving some (every command does) puts the connection back into delayed-ACK
("pingpong") mode, so ``rearm_quickack`` sets it again after each command is written, and the
reply to it, and a HANGUP line after that reply, are acknowledged at once. Both are no-ops
where the option does not exist (not Linux) or the socket is gone.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Protocol

#: Linux's TCP_QUICKACK (12); None where the platform has no such option.
TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class _Settable(Protocol):
    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...


def tune_agi_socket(sock: _Settable) -> None:
    """TCP_NODELAY and TCP_QUICKACK on an accepted FastAGI connection (best effort)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rearm_quickack(sock)


def rearm_quickack(sock: _Settable) -> None:
    """TCP_QUICKACK again (call it after each write: Linux clears it); best effort."""
    if TCP_QUICKACK is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)
