"""The FastAGI connection (``ivr.transport.connection``) over real sockets, with the bytes
Asterisk writes: lines split and glued anyhow, the unsolicited ``HANGUP`` line, ``511``, a
multi-line ``520``, EOF, garbage, a truncated or non-UTF-8 env block and a silent peer.
Whatever happens, the call is recorded and nothing but dead-safe commands follow a hang-up.
"""

from __future__ import annotations

import socket
import time

import pytest
from test_faults import Caller, Server, network_env

from ivr.simulator import env_block
from ivr.store.recorder import CallRecorder

USAGE_520 = (
    "520-Invalid command syntax.  Proper usage follows:\n"
    " Usage: STREAM FILE <filename> <escape digits> [sample offset]\n"
    "520 End of proper usage."
)


def recorded(repository, unique_id: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = repository.find_by_unique_id(unique_id)
        if record is not None:
            return record
        time.sleep(0.02)
    raise AssertionError(f"call {unique_id} was not recorded")


def rest_of_call(caller: Caller, limit: int = 20) -> list[str]:
    """The commands until the server closes, each answered as on a dead channel."""
    seen = []
    for _ in range(limit):
        line = caller.command()
        if not line:
            return seen
        seen.append(line)
        caller.reply("200 result=1" if line.startswith("SET VARIABLE") else "511 Dead channel")
    raise AssertionError("the call did not end")


def test_env_and_replies_in_pieces(config, repository):
    """TCP may cut a line anywhere: the env block in 5-byte pieces, every reply in two."""
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        sock = socket.create_connection(running.address, timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        block = env_block(env)
        for i in range(0, len(block), 5):
            sock.sendall(block[i : i + 5])
        rfile = sock.makefile("rb")
        commands = 0
        while line := rfile.readline(9000).decode():
            commands += 1
            reply = b"200 result=0 endpos=8000\n" if "STREAM" in line else b"200 result=1\n"
            sock.sendall(reply[:7])
            time.sleep(0.002)
            sock.sendall(reply[7:])
        sock.close()
        assert commands > 5
        record = recorded(repository, env["agi_uniqueid"])
        assert record.result is not None and not record.error
    finally:
        running.stop()


def call_answered_with(config, repository, reply: str):
    """A call answered as usual up to its first prompt, then with ``reply``: the commands
    after it (answered as on a dead channel) and the call's record."""
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        caller = Caller(running.address, env)
        caller.answer_until("STREAM FILE")
        caller.reply(reply)
        after = rest_of_call(caller)
        caller.close()
        return after, recorded(repository, env["agi_uniqueid"])
    finally:
        running.stop()


@pytest.mark.parametrize(
    "reply",
    [
        "HANGUP\n200 result=-1 endpos=0",  # the HANGUP line before the -1
        "511 Command Not Permitted on a dead channel or intercept routine",
    ],
)
def test_a_dead_channel_gets_only_dead_safe_commands(config, repository, reply):
    after, record = call_answered_with(config, repository, reply)
    assert after and all(line.startswith("SET VARIABLE") for line in after), after
    assert record.outcome.value == "abandoned"


def test_multi_line_520_is_a_failed_command_and_the_caller_reaches_a_person(config, repository):
    after, record = call_answered_with(config, repository, USAGE_520)
    assert any("operator" in line for line in after), after
    assert record.outcome.value == "failed" and "520" in (record.error or "")


def test_garbage_instead_of_a_reply_closes_at_once(config, repository):
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        caller = Caller(running.address, env)
        caller.answer_until("STREAM FILE")
        caller.reply("HELLO THERE")
        assert caller.command() == ""  # closed: nothing could be read in step after it
        caller.close()
        record = recorded(repository, env["agi_uniqueid"])
        assert record.result is None and "unexpected line" in (record.error or "")
    finally:
        running.stop()


def test_eof_mid_call_is_recorded(config, repository):
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        caller = Caller(running.address, env)
        caller.answer_until("STREAM FILE")
        caller.close()
        record = recorded(repository, env["agi_uniqueid"])
        assert record.outcome.value == "abandoned" and record.result is None
        running.wait_idle()
    finally:
        running.stop()


def test_env_block_cut_short_by_eof_is_still_a_recorded_call(config, repository):
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        with socket.create_connection(running.address, timeout=5) as sock:
            sock.sendall(env_block(env)[:-1])  # no empty line: the block never ends
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(100) == b""  # nothing can be written on a closed line
        record = recorded(repository, env["agi_uniqueid"])
        assert record.result is None
        running.wait_idle()
    finally:
        running.stop()


def test_non_utf8_env_block_is_read_with_replacement_characters(config, repository):
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        with socket.create_connection(running.address, timeout=5) as sock:
            block = env_block(env).replace(b"agi_calleridname: ", b"agi_calleridname: \xff\xfe")
            sock.sendall(block)
            with sock.makefile("rb") as rfile:
                assert rfile.readline(9000).startswith(b"ANSWER")
        assert recorded(repository, env["agi_uniqueid"]) is not None
    finally:
        running.stop()


def test_a_silent_peer_is_cut_after_the_reply_timeout(config, repository):
    running = Server(config, CallRecorder(repository), reply_timeout=0.3)
    env = network_env(config)
    try:
        caller = Caller(running.address, env)
        caller.answer_until("STREAM FILE")
        started = time.monotonic()
        assert caller.command() == ""  # no reply: the server gave up on the peer
        assert time.monotonic() - started < 2
        caller.close()
        record = recorded(repository, env["agi_uniqueid"])
        assert record.outcome.value == "abandoned" and record.result is None  # a dead peer
        running.wait_idle()
    finally:
        running.stop()
