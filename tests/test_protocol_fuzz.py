"""Fuzzing the FastAGI server from Asterisk's side with Hypothesis, over real TCP.

Random, truncated, oversized and non-UTF-8 lines as env block and replies: the server must
never crash, never hold a call past a bound, never send a malformed command line, and keep
accepting calls afterwards.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_faults import Server, tcp_call

from ivr.simulator import asterisk_env, env_block
from ivr.store.recorder import CallRecorder
from ivr.store.repository import CallRepository

#: A command line as Asterisk's parser expects it from us: NAME "arg" "arg"...\n
COMMAND_RE = re.compile(rb'[A-Z][A-Z ]*[A-Z]( "(?:[^"\\\r\n\x00]|\\["\\])*")*\n')
#: Time a fuzzed connection may live: the reply timeout plus the drain of dead-safe commands.
CONNECTION_BOUND = 4.0
REPLY_TIMEOUT = 0.3

VALID_REPLIES = [
    b"200 result=0\n",
    b"200 result=1\n",
    b"200 result=49 endpos=1200\n",
    b"200 result=-1 endpos=0\n",
    b"200 result=0 endpos=8000\n",
    b"200 result=1 (value)\n",
    b"HANGUP\n",
    b"511 Command Not Permitted on a dead channel or intercept routine\n",
    b"510 Invalid or unknown command\n",
    b"520-Invalid command syntax.  Proper usage follows:\n Usage: X\n520 End of proper usage.\n",
    b"100 result=0 Trying...\n",
]

replies = st.one_of(
    st.sampled_from(VALID_REPLIES),
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"") + b"\n"),  # random line
    st.binary(min_size=1, max_size=40),  # truncated: no newline (the connection then stalls)
    st.integers(8000, 20000).map(lambda n: b"200 result=0 " + b"x" * n + b"\n"),  # oversized
    st.sampled_from(
        [
            b"\xff\xfe200 result=0\n",
            b"200 result=0 (\xc3\x28)\n",
            b"200 result=\x00\n",
            b"\r\n",
            b"200 result=0\r\n",
        ]
    ),  # non-UTF-8, odd
)


@pytest.fixture(scope="module")
def fuzz_server(shipped_config, tmp_path_factory):
    directory = tmp_path_factory.mktemp("fuzz")
    config = dataclasses.replace(
        shipped_config,
        database_url=f"sqlite:///{directory / 'ivr.sqlite3'}",
        journal_path=directory / "journal.jsonl",
    )
    repository = CallRepository(config.database_url)
    repository.ensure_schema()
    running = Server(
        config, CallRecorder(repository), env_timeout=REPLY_TIMEOUT, reply_timeout=REPLY_TIMEOUT
    )
    running.config = config
    yield running
    running.stop()
    repository.dispose()


def play(address, env: bytes, answers: list[bytes]) -> list[bytes]:
    """Send the env block, answer each command with the next fuzzed reply; EOF when out."""
    commands: list[bytes] = []
    started = time.monotonic()
    with socket.create_connection(address, timeout=CONNECTION_BOUND) as sock:
        rfile = sock.makefile("rb")
        try:
            sock.sendall(env)
            for answer in answers:
                line = rfile.readline(70000)
                if not line:
                    break
                commands.append(line)
                sock.sendall(answer)
            sock.shutdown(socket.SHUT_WR)  # out of replies: the caller is gone
            while line := rfile.readline(70000):  # dead-safe commands after the hang-up
                commands.append(line)
                assert len(commands) < 500
        except TimeoutError:
            raise AssertionError("the server neither answered nor closed") from None
        except OSError:  # reset, broken pipe, already closed by the server
            pass
        finally:
            rfile.close()
    assert time.monotonic() - started < CONNECTION_BOUND + 1, "the server held the call"
    return commands


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(replies, max_size=25))
def test_fuzzed_replies(fuzz_server, answers):
    env = env_block(asterisk_env("0441234567", "0800300100", network=True))
    for line in play(fuzz_server.address, env, answers):
        assert COMMAND_RE.fullmatch(line), line
        line.decode("utf-8")


env_lines = st.one_of(
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"") + b"\n"),
    st.sampled_from(
        [
            b"agi_network: yes\n",
            b"agi_network_script: ivr\n",
            b"\n",
            b"agi_callerid: \xff\xfe\n",
            b"agi_dnid: " + b"9" * 9000 + b"\n",
            b"agi_arg_1: ;rm -rf /\n",
            b"agi_callerid: ../../etc/passwd\n",
        ]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(env_lines, max_size=30), answers=st.lists(replies, max_size=6))
def test_fuzzed_env_block(fuzz_server, lines, answers):
    for line in play(fuzz_server.address, b"".join(lines), answers):
        assert COMMAND_RE.fullmatch(line), line


def test_server_still_serves_after_fuzzing(fuzz_server):
    fuzz_server.wait_idle(timeout=CONNECTION_BOUND)
    transcript = tcp_call(fuzz_server.address, fuzz_server.config, "0")
    assert any(e["type"] == "prompt" for e in transcript.events)
