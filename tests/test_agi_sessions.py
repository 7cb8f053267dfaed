"""Sync (pyst2) and async (FastAGI) sessions against a fake Asterisk over real sockets.

The fake Asterisk side writes exactly what res_agi.c writes: the env block, then one reply
per command (plus unsolicited ``HANGUP`` lines), and closes the socket for EOF. Replies are
queued in the socket before the command is sent; this is fine because the session writes
one command and then reads one reply, like Asterisk expects.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from asterisk import agi as pyst

from ivr.agi import (
    MAX_LINE,
    AgiArgumentError,
    AgiCommandError,
    AgiHangup,
    AgiProtocolError,
    AsyncAgiSession,
    Command,
    PystAgi,
    split_command_line,
)

TIMEOUT = 2.0
T = TypeVar("T")

BASE_ENV = [
    ("agi_request", "/usr/local/bin/ivr-agi"),
    ("agi_channel", "PJSIP/trunk-00000001"),
    ("agi_language", "uk"),
    ("agi_type", "PJSIP"),
    ("agi_uniqueid", "1718000000.1"),
    ("agi_version", "20.8.1"),
    ("agi_callerid", "0501234567"),
    ("agi_calleridname", "Іван Петренко"),
    ("agi_callingpres", "0"),
    ("agi_callingani2", "0"),
    ("agi_callington", "0"),
    ("agi_callingtns", "0"),
    ("agi_dnid", "0800300000"),
    ("agi_rdnis", "unknown"),
    ("agi_context", "ivr-in"),
    ("agi_extension", "s"),
    ("agi_priority", "1"),
    ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""),
    ("agi_threadid", "140245523343936"),
]

ANSWER = Command("ANSWER")
STREAM = Command("STREAM FILE", ("uk/welcome", "12"))
SETVAR = Command("SET VARIABLE", ("IVR_RESULT", "ok"))


def env_block(
    *args: str, fastagi: bool = False, drop: tuple[str, ...] = (), end: bool = True
) -> bytes:
    lines = []
    if fastagi:
        lines += ["agi_network: yes", "agi_network_script: ivr?x=y"]
    for key, value in BASE_ENV:
        if key in drop:
            continue
        if fastagi and key == "agi_request":
            value = "agi://127.0.0.1/ivr?x=y"
        lines.append(f"{key}: {value}")
    lines += [f"agi_arg_{i}: {arg}" for i, arg in enumerate(args, 1)]
    text = "".join(line + "\n" for line in lines) + ("\n" if end else "")
    return text.encode()


def drain(sock: socket.socket) -> bytes:
    """Everything the session has written so far (it flushes before reading)."""
    sock.setblocking(False)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(TIMEOUT)
    return b"".join(chunks)


# --------------------------------------------------------------------------- sync session


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, asterisk = socket.socketpair()
    ours.settimeout(TIMEOUT)
    asterisk.settimeout(TIMEOUT)
    yield ours, asterisk
    ours.close()
    asterisk.close()


def make_agi(ours: socket.socket, **kwargs: bool) -> PystAgi:
    kwargs.setdefault("handle_sighup", False)
    return PystAgi(ours.makefile("rb"), ours.makefile("wb"), **kwargs)


def test_sync_env_and_simple_command(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block("lang=uk", "") + b"200 result=49 endpos=1234\n")
    agi = make_agi(ours)
    assert agi.env["agi_calleridname"] == "Іван Петренко"
    assert agi.env["agi_accountcode"] == ""
    assert agi.env["agi_arg_1"] == "lang=uk"
    assert agi.env["agi_arg_2"] == ""
    assert len(agi.env) == len(BASE_ENV) + 2
    reply = agi.send(STREAM)
    assert reply.digit == "1" and reply.endpos == 1234
    assert drain(asterisk) == b'STREAM FILE "uk/welcome" "12"\n'
    assert not agi.hung_up


def test_sync_env_without_callerid(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block(drop=("agi_callerid", "agi_calleridname")))
    agi = make_agi(ours)
    assert "agi_callerid" not in agi.env
    assert agi.env["agi_dnid"] == "0800300000"


def test_sync_env_non_utf8(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    cp1251 = "Петро".encode("cp1251")
    asterisk.sendall(env_block().replace("Іван Петренко".encode(), cp1251) + b"200 result=0\n")
    agi = make_agi(ours)
    assert agi.env["agi_calleridname"] == cp1251.decode("utf-8", errors="replace")
    assert "\ufffd" in agi.env["agi_calleridname"]
    assert agi.env["agi_context"] == "ivr-in"
    assert agi.send(ANSWER).result == "0"


def test_sync_truncated_env_block(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block(end=False)[:-40])
    asterisk.shutdown(socket.SHUT_WR)
    agi = make_agi(ours)
    assert agi.env["agi_request"] == "/usr/local/bin/ivr-agi"
    assert "agi_threadid" not in agi.env
    assert agi.hung_up and agi.closed
    with pytest.raises(AgiHangup):
        agi.send(SETVAR)
    assert drain(asterisk) == b""


def test_sync_no_env_at_all(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.shutdown(socket.SHUT_WR)
    agi = make_agi(ours)
    assert agi.env == {}
    assert agi.hung_up


def test_sync_hangup_line_before_reply(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"HANGUP\n200 result=0 endpos=3200\n")
    agi = make_agi(ours)
    reply = agi.send(STREAM)  # the real reply is still read
    assert reply.result == "0" and reply.endpos == 3200
    assert agi.hung_up and not agi.closed
    assert drain(asterisk) == b'STREAM FILE "uk/welcome" "12"\n'

    with pytest.raises(AgiHangup) as info:
        agi.send(ANSWER)
    assert isinstance(info.value, pyst.AGIHangup)  # also catchable the pyst2 way
    assert drain(asterisk) == b""  # not written

    asterisk.sendall(b"200 result=1\n")
    assert agi.send(SETVAR).result == "1"  # dead-safe: still written
    assert drain(asterisk) == b'SET VARIABLE "IVR_RESULT" "ok"\n'


def test_sync_minus_one_after_hangup_line_raises(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"HANGUP\n200 result=-1 endpos=0\n")
    agi = make_agi(ours)
    with pytest.raises(AgiHangup):
        agi.send(STREAM)


def test_sync_plain_minus_one_is_returned(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 result=-1 endpos=0\n")
    agi = make_agi(ours)
    reply = agi.send(STREAM)
    assert reply.result == "-1" and reply.value == -1 and reply.endpos == 0
    assert not agi.hung_up


def test_sync_minus_one_hangup_data(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 result=-1 (hangup) endpos=0\n")
    agi = make_agi(ours)
    with pytest.raises(AgiHangup):
        agi.send(Command("RECORD FILE", ("/tmp/x", "wav", "#", "5000")))
    assert agi.hung_up and not agi.closed


def test_sync_eof_while_waiting(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block())
    agi = make_agi(ours)
    asterisk.shutdown(socket.SHUT_WR)
    with pytest.raises(AgiHangup):
        agi.send(ANSWER)
    assert drain(asterisk) == b"ANSWER\n"
    assert agi.hung_up and agi.closed
    with pytest.raises(AgiHangup):
        agi.send(SETVAR)  # after EOF even dead-safe commands are not written
    assert drain(asterisk) == b""


def test_sync_eof_after_partial_reply(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 resu")
    asterisk.shutdown(socket.SHUT_WR)
    agi = make_agi(ours)
    with pytest.raises(AgiHangup):
        agi.send(ANSWER)


def test_sync_broken_pipe_on_write(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block())
    agi = make_agi(ours)
    asterisk.close()
    with pytest.raises(AgiHangup):
        agi.send(ANSWER)
    assert agi.closed


def test_sync_511(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"511 Command Not Permitted on a dead channel\n")
    agi = make_agi(ours)
    with pytest.raises(AgiHangup, match="511"):
        agi.send(ANSWER)
    assert agi.hung_up


def test_sync_510(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"510 Invalid or unknown command\n200 result=0\n")
    agi = make_agi(ours)
    with pytest.raises(AgiCommandError) as info:
        agi.send(Command("FOO BAR"))
    assert info.value.code == 510
    assert isinstance(info.value, pyst.AGIInvalidCommand)
    assert not agi.hung_up
    assert agi.send(ANSWER).result == "0"  # still in step
    assert drain(asterisk) == b"FOO BAR\nANSWER\n"


def test_sync_520_one_line(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"520 Invalid command syntax.  Proper usage not available.\n")
    agi = make_agi(ours)
    with pytest.raises(AgiCommandError) as info:
        agi.send(Command("SAY NUMBER", ("abc", "")))
    assert info.value.code == 520 and info.value.usage == ""


USAGE = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b" Usage: SAY NUMBER <number> <escape digits> [gender]\n"
    b"  Say a given number."
)


@pytest.mark.parametrize("end", [b"\n520 End of proper usage.\n", b"520 End of proper usage.\n"])
def test_sync_520_multi_line(pair: tuple[socket.socket, socket.socket], end: bytes) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + USAGE + end + b"200 result=1\n")
    agi = make_agi(ours)
    with pytest.raises(AgiCommandError) as info:
        agi.send(Command("SAY NUMBER", ("abc", "")))
    assert isinstance(info.value, pyst.AGIUsageError)
    assert info.value.usage == (
        " Usage: SAY NUMBER <number> <escape digits> [gender]\n  Say a given number."
    )
    assert agi.send(SETVAR).result == "1"  # the glued marker did not desync us


def test_sync_100_then_200(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"100 result=0 Trying...\n200 result=0 Gosub complete\n")
    agi = make_agi(ours)
    reply = agi.send(Command("GOSUB", ("sub-x", "s", "1")))
    assert reply.result == "0" and reply.raw == "200 result=0 Gosub complete"


def test_sync_get_data_timeout_and_parenthesised_data(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 result= (timeout)\n200 result=1 (a (b) c=d)\n")
    agi = make_agi(ours)
    reply = agi.send(Command("GET DATA", ("uk/enter-account", "5000", "8")))
    assert (reply.result, reply.data, reply.value) == ("", "timeout", None)
    reply = agi.send(Command("GET VARIABLE", ("X",)))
    assert reply.data == "a (b) c=d"


def test_sync_garbage_reply(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"\n")
    agi = make_agi(ours)
    with pytest.raises(AgiProtocolError):
        agi.send(ANSWER)
    assert agi.closed


def test_sync_oversized_reply_line(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 result=1 (" + b"x" * MAX_LINE + b")\n")
    agi = make_agi(ours)
    with pytest.raises(AgiProtocolError):
        agi.send(Command("GET VARIABLE", ("X",)))
    assert agi.closed


def test_sync_unsafe_argument_writes_nothing(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block())
    agi = make_agi(ours)
    with pytest.raises(AgiArgumentError):
        agi.send(Command("SET VARIABLE", ("V", 'a"b\nHANGUP')))
    with pytest.raises(AgiArgumentError):
        agi.send(Command("VERBOSE", ("x" * MAX_LINE,)))
    with pytest.raises(AgiArgumentError):
        agi.send(Command("SET VARIABLE", ("V", "line1\r\nline2")))
    assert drain(asterisk) == b""
    assert not agi.hung_up


def test_sync_quoted_arguments_do_not_inject(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 result=49 endpos=800\n")
    agi = make_agi(ours)
    assert agi.send(Command("STREAM FILE", ('hello" "1', "12", "0"))).digit == "1"
    written = drain(asterisk)
    assert written == b'STREAM FILE "hello\\" \\"1" "12" "0"\n'
    assert split_command_line(written.decode()) == ["STREAM", "FILE", 'hello" "1', "12", "0"]


def test_sync_utf8_arguments_and_replies_in_step(pair: tuple[socket.socket, socket.socket]) -> None:
    """Each argument quoted exactly once (UTF-8, inner quotes escaped), UTF-8 reply data, one
    reply per command; ``200 result=-1`` comes back as a reply."""
    ours, asterisk = pair
    asterisk.sendall(
        env_block()
        + b"200 result=0\n"
        + b"200 result=1\n"
        + b"200 result=1 (\xd0\xba\xd0\xb8\xd1\x97\xd0\xb2)\n"
        + b"200 result=1 (42)\n"
        + b"200 result=-1 endpos=0\n"
    )
    agi = make_agi(ours)
    assert agi.send(ANSWER).result == "0"
    assert agi.send(Command("SET VARIABLE", ("CITY", 'Кривий "Ріг"'))).result == "1"
    assert agi.send(Command("GET VARIABLE", ("CITY",))).data == "київ"
    assert agi.send(Command("DATABASE GET", ("ivr", "calls"))).data == "42"
    missing = agi.send(Command("STREAM FILE", ("missing", "", "0")))
    assert (missing.value, missing.endpos) == (-1, 0)
    assert drain(asterisk) == (
        b"ANSWER\n"
        + 'SET VARIABLE "CITY" "Кривий \\"Ріг\\""\n'.encode()
        + b'GET VARIABLE "CITY"\n'
        + b'DATABASE GET "ivr" "calls"\n'
        + b'STREAM FILE "missing" "" "0"\n'
    )


def test_sync_pyst_command_methods_write_nothing(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """pyst2's own methods would write unquoted text: on this session they fail first."""
    ours, asterisk = pair
    asterisk.sendall(env_block())
    agi = make_agi(ours)
    with pytest.raises((AttributeError, TypeError)):  # no stderr; text on a binary stream
        agi.set_variable("V", 'x" "y')
    assert drain(asterisk) == b""


def test_sync_session_in_worker_thread(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block() + b"200 result=0\n")
    outcome: dict[str, object] = {}
    before = signal.getsignal(signal.SIGHUP)

    def worker() -> None:
        try:
            agi = PystAgi(ours.makefile("rb"), ours.makefile("wb"))  # handle_sighup=True
            outcome["reply"] = agi.send(ANSWER)
        except BaseException as exc:  # reported below
            outcome["error"] = exc
        try:
            pyst.AGI(ours.makefile("r"), ours.makefile("w"))
        except ValueError as exc:
            outcome["stock_error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(TIMEOUT)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["reply"].result == "0"  # type: ignore[attr-defined]
    assert signal.getsignal(signal.SIGHUP) == before  # not installed from a worker thread
    assert isinstance(outcome["stock_error"], ValueError)  # pyst2's own AGI fails there
    assert drain(asterisk) == b"ANSWER\n"


def test_sync_handle_sighup_false_leaves_signals_alone(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, asterisk = pair
    before = signal.getsignal(signal.SIGHUP)
    asterisk.sendall(env_block())
    make_agi(ours, handle_sighup=False)
    assert signal.getsignal(signal.SIGHUP) == before


def test_sync_sighup_makes_next_send_raise(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, asterisk = pair
    previous = signal.getsignal(signal.SIGHUP)
    asterisk.sendall(env_block())
    agi = PystAgi(ours.makefile("rb"), ours.makefile("wb"), handle_sighup=True)
    try:
        assert signal.getsignal(signal.SIGHUP) == agi._handle_sighup
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while not agi.hung_up and time.monotonic() < deadline:
            time.sleep(0.001)
        assert agi.hung_up
        with pytest.raises(AgiHangup) as info:
            agi.send(STREAM)
        assert isinstance(info.value, pyst.AGIHangup)
        assert drain(asterisk) == b""
        asterisk.sendall(b"200 result=1\n")
        assert agi.send(SETVAR).result == "1"
        assert drain(asterisk) == b'SET VARIABLE "IVR_RESULT" "ok"\n'
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert signal.getsignal(signal.SIGHUP) == previous


# --------------------------------------------------------------------------- async session


def run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async scenario with an overall timeout, so a bug cannot hang the suite."""

    async def with_timeout() -> T:
        async with asyncio.timeout(TIMEOUT * 2):
            return await factory()

    return asyncio.run(with_timeout())


async def open_async(
    pair: tuple[socket.socket, socket.socket], **kwargs: float | None
) -> AsyncAgiSession:
    ours, _ = pair
    ours.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=ours, limit=MAX_LINE + 2)
    return await AsyncAgiSession.start(reader, writer, **kwargs)  # type: ignore[arg-type]


def test_async_fastagi_env_and_hangup_line(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(env_block("x", fastagi=True) + b"HANGUP\n200 result=0 endpos=100\n")

    async def scenario() -> None:
        session = await open_async(pair)
        assert session.env["agi_network"] == "yes"
        assert session.env["agi_network_script"] == "ivr?x=y"
        assert session.env["agi_request"] == "agi://127.0.0.1/ivr?x=y"
        assert session.env["agi_arg_1"] == "x"
        reply = await session.send(STREAM)
        assert reply.endpos == 100
        assert session.hung_up
        assert drain(asterisk) == b'STREAM FILE "uk/welcome" "12"\n'
        with pytest.raises(AgiHangup):
            await session.send(ANSWER)
        assert drain(asterisk) == b""
        asterisk.sendall(b"200 result=1\n")
        assert (await session.send(SETVAR)).result == "1"
        assert drain(asterisk) == b'SET VARIABLE "IVR_RESULT" "ok"\n'
        await session.close()
        await session.close()  # idempotent, never raises

    run(scenario)


def test_async_replies_and_errors(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(
        env_block(fastagi=True)
        + b"100 result=0 Trying...\n200 result=0 Gosub complete\n"
        + b"510 Invalid or unknown command\n"
        + b"520 Invalid command syntax.  Proper usage not available.\n"
        + USAGE
        + b"520 End of proper usage.\n"
        + b"200 result= (timeout)\n"
        + b"200 result=1 (a (b) c=d)\n"
        + b"200 result=-1 endpos=0\n"
        + b"200 result=-1 (hangup) endpos=0\n"
    )

    async def scenario() -> None:
        session = await open_async(pair)
        assert (await session.send(Command("GOSUB", ("sub", "s", "1")))).result == "0"
        for code in (510, 520, 520):
            with pytest.raises(AgiCommandError) as info:
                await session.send(ANSWER)
            assert info.value.code == code
        assert info.value.usage.endswith("Say a given number.")
        assert (await session.send(ANSWER)).data == "timeout"
        assert (await session.send(ANSWER)).data == "a (b) c=d"
        assert (await session.send(STREAM)).result == "-1"  # returned: the engine decides
        assert not session.hung_up
        with pytest.raises(AgiHangup):
            await session.send(STREAM)
        assert session.hung_up and not session.closed
        await session.close()

    run(scenario)


def test_async_eof_and_511(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(env_block(fastagi=True) + b"511 Command Not Permitted on a dead channel\n")

    async def scenario() -> None:
        session = await open_async(pair)
        with pytest.raises(AgiHangup, match="511"):
            await session.send(ANSWER)
        assert session.hung_up and not session.closed
        asterisk.shutdown(socket.SHUT_WR)
        with pytest.raises(AgiHangup):
            await session.send(Command("VERBOSE", ("bye", "1")))  # dead-safe: written, then EOF
        assert session.closed
        assert drain(asterisk) == b'ANSWER\nVERBOSE "bye" "1"\n'
        with pytest.raises(AgiHangup):
            await session.send(SETVAR)
        assert drain(asterisk) == b""
        await session.close()

    run(scenario)


def test_async_eof_before_env(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.shutdown(socket.SHUT_WR)
    with pytest.raises(AgiHangup):
        run(lambda: open_async(pair))


def test_async_truncated_env(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(env_block(fastagi=True, end=False)[:-30])
    asterisk.shutdown(socket.SHUT_WR)

    async def scenario() -> None:
        session = await open_async(pair)
        assert session.env["agi_network_script"] == "ivr?x=y"
        assert session.closed and session.hung_up
        with pytest.raises(AgiHangup):
            await session.send(SETVAR)
        await session.close()

    run(scenario)


def test_async_env_timeout(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(b"agi_network: yes\n")
    with pytest.raises(AgiProtocolError):
        run(lambda: open_async(pair, env_timeout=0.05))


def test_async_non_utf8_env(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(env_block(fastagi=True).replace(b"ivr-in", b"ivr-\xff\xfe"))

    async def scenario() -> None:
        session = await open_async(pair)
        assert session.env["agi_context"] == "ivr-\ufffd\ufffd"
        await session.close()

    run(scenario)


def test_async_reply_timeout_is_hangup(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(env_block(fastagi=True))

    async def scenario() -> None:
        session = await open_async(pair, reply_timeout=0.05)
        with pytest.raises(AgiHangup):
            await session.send(ANSWER)
        assert session.closed
        await session.close()

    run(scenario)


@pytest.mark.parametrize("limit", [MAX_LINE + 2, 1024])
def test_async_oversized_line(pair: tuple[socket.socket, socket.socket], limit: int) -> None:
    ours, asterisk = pair
    asterisk.sendall(env_block(fastagi=True) + b"200 result=1 (" + b"x" * MAX_LINE + b")\n")

    async def scenario() -> None:
        ours.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=ours, limit=limit)
        session = await AsyncAgiSession.start(reader, writer)
        with pytest.raises(AgiProtocolError):
            await session.send(Command("GET VARIABLE", ("X",)))
        assert session.closed
        await session.close()

    run(scenario)


def test_async_unsafe_argument_and_cancellation(pair: tuple[socket.socket, socket.socket]) -> None:
    _, asterisk = pair
    asterisk.sendall(env_block(fastagi=True))

    async def scenario() -> None:
        session = await open_async(pair)
        with pytest.raises(AgiArgumentError):
            await session.send(Command("VERBOSE", ("a\nHANGUP",)))
        assert drain(asterisk) == b""
        task = asyncio.create_task(session.send(ANSWER))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert drain(asterisk) == b"ANSWER\n"
        assert session.closed  # its reply would be mistaken for the next command's
        await session.close()

    run(scenario)


def test_async_real_tcp_server() -> None:
    """End to end over 127.0.0.1: our server side, a fake Asterisk client."""
    seen: list[object] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = await AsyncAgiSession.start(reader, writer, reply_timeout=TIMEOUT)
        try:
            seen.append(session.env["agi_network_script"])
            seen.append(await session.send(Command("VERBOSE", ('Дзвінок "тест" \\ ok', "1"))))
            seen.append(await session.send(STREAM))
        except AgiHangup as exc:
            seen.append(exc)
        finally:
            await session.close()

    async def scenario() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=MAX_LINE + 2)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(env_block(fastagi=True))
        line = await reader.readline()
        assert split_command_line(line.decode()) == ["VERBOSE", 'Дзвінок "тест" \\ ok', "1"]
        writer.write(b"200 result=1\n")
        assert await reader.readline() == b'STREAM FILE "uk/welcome" "12"\n'
        writer.write(b"200 result=-1 endpos=0\nHANGUP\n")
        assert await reader.readline() == b""  # the server closed the connection
        writer.close()
        server.close()
        await server.wait_closed()

    run(scenario)
    assert seen[0] == "ivr?x=y"
    assert seen[1].result == "1"  # type: ignore[attr-defined]
    # the HANGUP line right after the -1 ends the call in the session: no CHANNEL STATUS
    assert isinstance(seen[2], AgiHangup) and "-1" in str(seen[2])
