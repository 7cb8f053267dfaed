"""The FastAGI server's own accepting (``ivr.transport.listener``), on both event loops: every
connection waiting in the backlog is taken in one turn of the loop (libuv alone takes one per
turn), each gets its own protocol, and closing stops accepting at once."""

from __future__ import annotations

import asyncio
import socket

import pytest

from ivr.transport.listener import Acceptor, listening_sockets
from ivr.transport.loops import loop_factory

WAITING = 200


class Counted(asyncio.Protocol):
    made: list[Counted] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        Counted.made.append(self)


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_every_waiting_connection_is_taken_in_one_turn(loop_name):
    if loop_name == "uvloop":
        pytest.importorskip("uvloop")
    Counted.made = []
    name, factory = loop_factory(loop_name)
    assert name == loop_name

    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        sockets = listening_sockets("127.0.0.1", 0, backlog=1024)
        port = sockets[0].getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(WAITING)]
        acceptor = Acceptor(loop, sockets, Counted)
        acceptor.start()
        for _ in range(3):  # the reader's turn, then the hand-over tasks' turns
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        early = len(Counted.made)
        acceptor.close()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
        for protocol in Counted.made:
            protocol.transport.close()
        for client in clients:
            client.close()
        return early, len({id(p) for p in Counted.made})

    with asyncio.Runner(loop_factory=factory) as runner:
        early, distinct = runner.run(main())
    assert early == WAITING and distinct == WAITING


def test_an_address_in_use_is_an_os_error():
    first = listening_sockets("127.0.0.1", 0, backlog=8)
    try:
        port = first[0].getsockname()[1]
        with pytest.raises(OSError):
            listening_sockets("127.0.0.1", port, backlog=8)
    finally:
        for sock in first:
            sock.close()
