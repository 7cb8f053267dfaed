"""The FastAGI server's listening sockets, and accepting many connections per loop turn.

asyncio's own server accepts up to its backlog of connections each time the listening
socket is readable; libuv (uvloop) accepts one (libuv 1.45, "don't accept() connections in a
loop"). In a storm, when 2 000 callers connect within a second while the loop also serves
thousands of replies per turn, one connection per turn left callers waiting most of a second
for their first prompt. So the server accepts for itself on either loop: the listening
socket is watched with ``add_reader``, every waiting connection is taken in the same turn (up
to ``BATCH``), and each is handed to the loop with ``connect_accepted_socket``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

log = logging.getLogger("ivr.transport.fastagi")

#: Connections accepted per readiness of the listening socket, at most.
BATCH = 1000
#: Out of file descriptors (or memory): stop accepting for this long, then try again.
PAUSE_WHEN_FULL = 1.0
_FULL = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def listening_sockets(
    host: str, port: int, backlog: int, reuse_port: bool = False
) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for every address of ``host`` (as asyncio's
    ``create_server`` binds them). OSError when an address cannot be bound."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Acceptor:
    """Accepts on ``sockets`` and hands every connection to ``protocol_factory``'s protocol."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sockets: list[socket.socket],
        protocol_factory: Callable[[], asyncio.Protocol],
    ) -> None:
        self.loop = loop
        self.sockets = sockets
        self.protocol_factory = protocol_factory
        self._handing: set[asyncio.Task[object]] = set()
        self._closed = False

    def start(self) -> None:
        for sock in self.sockets:
            self.loop.add_reader(sock.fileno(), self._ready, sock)

    def _ready(self, listener: socket.socket) -> None:
        for _ in range(BATCH):
            try:
                conn, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _FULL:
                    log.error(
                        "cannot accept FastAGI connections: %s; pausing for %.0f s (raise "
                        "the file-descriptor limit or lower --max-connections)",
                        exc,
                        PAUSE_WHEN_FULL,
                    )
                    self.loop.remove_reader(listener.fileno())
                    self.loop.call_later(PAUSE_WHEN_FULL, self._resume, listener)
                    return
                continue  # ECONNABORTED and the like: that one connection is gone
            conn.setblocking(False)
            task = self.loop.create_task(
                self.loop.connect_accepted_socket(self.protocol_factory, conn)
            )
            self._handing.add(task)
            task.add_done_callback(self._handed)

    def _handed(self, task: asyncio.Task[object]) -> None:
        self._handing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a FastAGI connection could not be set up: %s", task.exception())

    def _resume(self, listener: socket.socket) -> None:
        if not self._closed:
            self.loop.add_reader(listener.fileno(), self._ready, listener)

    def close(self) -> None:
        """Stop accepting and close the listening sockets (connections stay open)."""
        if self._closed:
            return
        self._closed = True
        for sock in self.sockets:
            self.loop.remove_reader(sock.fileno())
            sock.close()
