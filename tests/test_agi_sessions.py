"""The process-AGI (pyst2) session against a fake Asterisk over real sockets (the FastAGI
connection has its own tests: ``test_agi_connection.py``).

The fake Asterisk side writes exactly what res_agi.c writes: the env block, then one reply
per command (plus unsolicited ``HANGUP`` lines), and closes the socket for EOF. Replies are
queued in the socket before the command is sent; this is fine because the session writes
one command and then reads one reply, like Asterisk expects.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import TypeVar

import pytest
from asterisk import agi as pyst

from ivr.agi import (
    MAX_LINE,
    AgiArgumentError,
    AgiCommandError,
    AgiHangup,
    AgiProtocolError,
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
