"""Round trips around a hang-up and at the hand-back (issue 14, items 2 and 5).

A fake Asterisk on a TCP connection to the real FastAGI server speaks the bytes res_agi.c
writes: after an interrupted STREAM FILE it writes ``200 result=-1 endpos=N`` and then, once
it has noticed the hang-up, the unsolicited ``HANGUP`` line (later still when Nagle holds it
back for our ACK). The whole call flow runs in the server against it.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from scripted import Everything, ScriptedAsterisk
from test_agi_connection import recorded
from test_faults import Server, network_env

from ivr import handback
from ivr.agi import split_command_line
from ivr.config.schema import CODE_RE, PHONE_RE, QUEUE_RE
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.engine import CallFlow
from ivr.loadgen import Stats, _Call
from ivr.simulator import asterisk_env, env_block
from ivr.store.recorder import CallRecorder
from ivr.transport import connection
from ivr.transport.sockets import TCP_QUICKACK, rearm_quickack, tune_agi_socket

DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"


def flow_for(config) -> CallFlow:
    env = asterisk_env("0441234567", "0800000373", network=True)
    return CallFlow(
        config, CallContext.from_env(env, "fastagi"), register_appeals=False, audio=Everything()
    )


class FakeAsterisk:
    """res_agi's side: ``cuts`` lists, per STREAM FILE in order, what happens to it:
    ``"play"`` (plays out), ``"hangup"`` (-1 then the HANGUP line after ``hangup_delay``),
    ``"missing"`` (-1 on a live channel, no HANGUP line), ``"garbage"`` (-1, then a line that
    is not the HANGUP line)."""

    def __init__(self, cuts: list[str], hangup_delay: float = 0.0) -> None:
        self.cuts = list(cuts)
        self.hangup_delay = hangup_delay
        self.commands: list[list[str]] = []
        self.dead = False

    def call(self, address: tuple[str, int], env: dict[str, str]) -> None:
        with socket.create_connection(address, timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(env_block(env))
            with sock.makefile("rb") as lines:
                while line := lines.readline(9000).decode():
                    self._answer(sock, split_command_line(line))

    def _answer(self, sock: socket.socket, args: list[str]) -> None:
        self.commands.append(args)
        verb = " ".join(args[:2])
        if self.dead and verb != "SET VARIABLE":
            sock.sendall(DEAD)
        elif verb == "STREAM FILE":
            cut = self.cuts.pop(0) if self.cuts else "play"
            if cut == "play":
                sock.sendall(b"200 result=0 endpos=8000\n")
                return
            sock.sendall(b"200 result=-1 endpos=%d\n" % (1600 if cut == "hangup" else 0))
            if cut == "hangup":
                self.dead = True
                time.sleep(self.hangup_delay)
                sock.sendall(b"HANGUP\n")
            elif cut == "garbage":
                sock.sendall(b"200 result=6\n")
        elif verb == "WAIT FOR":
            sock.sendall(b"200 result=0\n")  # silence: the menu times out
        elif verb == "CHANNEL STATUS":
            sock.sendall(b"200 result=6\n")
        else:  # ANSWER, SET VARIABLE, GET FULL VARIABLE
            sock.sendall(b"200 result=1\n" if verb != "ANSWER" else b"200 result=0\n")

    def verbs(self) -> list[str]:
        return [" ".join(c[:2]) for c in self.commands]


def call_against(config, repository, asterisk: FakeAsterisk):
    running = Server(config, CallRecorder(repository))
    env = network_env(config)
    try:
        asterisk.call(running.address, env)
        return recorded(repository, env["agi_uniqueid"])
    finally:
        running.stop()


@pytest.mark.parametrize("delay", [0.0, 0.04], ids=["at-once", "nagle-40ms"])
def test_minus_one_then_hangup_line_sends_no_channel_status(config, repository, delay):
    asterisk = FakeAsterisk(["hangup"], hangup_delay=delay)
    record = call_against(config, repository, asterisk)
    assert asterisk.verbs() == ["ANSWER", "STREAM FILE", "SET VARIABLE"]
    assert asterisk.commands[-1][2] == handback.VARIABLE
    assert handback.split(asterisk.commands[-1][3])["IVR_RESULT"] == "hangup"
    assert record.outcome.value == "abandoned" and record.result is not None
    assert record.path == []  # cut during the welcome: no step lost, none invented


def test_minus_one_without_hangup_line_still_asks_channel_status(config, repository, monkeypatch):
    monkeypatch.setattr(connection, "HANGUP_GRACE", 0.05)
    # the first prompt is missing (live channel: no HANGUP line), the caller hangs up later
    asterisk = FakeAsterisk(["missing", "hangup"])
    record = call_against(config, repository, asterisk)
    verbs = asterisk.verbs()
    assert verbs[:3] == ["ANSWER", "STREAM FILE", "CHANNEL STATUS"]
    assert verbs.count("CHANNEL STATUS") == 1  # not after the hang-up's -1
    assert verbs[-2:] == ["STREAM FILE", "SET VARIABLE"]
    assert record.outcome.value == "abandoned"


def test_a_line_after_minus_one_that_is_not_hangup_closes_the_connection(config, repository):
    """Asterisk answers one command at a time: a line right after the -1 that is not the
    HANGUP line cannot be a reply, so nothing more can be read in step. The connection is
    closed (the dialplan's fallback takes the caller) and the call recorded with why."""
    asterisk = FakeAsterisk(["garbage"])
    record = call_against(config, repository, asterisk)
    assert asterisk.verbs() == ["ANSWER", "STREAM FILE"]
    assert record.result is None and "after -1" in (record.error or "")


# --------------------------------------------------------------------------- the hand-back


def test_hand_back_is_one_command_split_like_the_dialplan(shipped_config):
    asterisk = ScriptedAsterisk("0")  # the operator key
    record = drive_sync(flow_for(shipped_config).run(), asterisk.send)
    handed = [c for c in asterisk.commands if c.name == "SET VARIABLE"]
    assert len(handed) == 1 and handed[0].args[0] == "IVR"
    fields = handed[0].args[1].split("|")
    assert fields == [
        "operator",
        shipped_config.operator.queue_for(record.topic_code),
        record.topic_code,
        record.call_uid,
        "",
    ]
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert asterisk.variables["IVR_CALL_ID"] == record.call_uid


def test_join_and_split():
    value = handback.join("transfer", "+380441234567", "D1", "ab12", "26120101000012")
    assert value == "transfer|+380441234567|D1|ab12|26120101000012"
    assert handback.split(value) == {
        "IVR_RESULT": "transfer",
        "IVR_TRANSFER_TO": "+380441234567",
        "IVR_TOPIC": "D1",
        "IVR_CALL_ID": "ab12",
        "IVR_APPEAL_ID": "26120101000012",
    }
    assert handback.split("hangup||||") == dict.fromkeys(handback.FIELDS, "") | {
        "IVR_RESULT": "hangup"
    }
    assert handback.split("hangup")["IVR_APPEAL_ID"] == ""  # CUT gives "" past the end
    # a separator inside a field cannot shift the fields after it
    assert handback.split(handback.join("operator", "a|b", "T", "c", ""))["IVR_TOPIC"] == "T"
    assert handback.dialplan_variables({"X": "1"}) == {"X": "1"}
    assert handback.dialplan_variables({"IVR": value})["IVR_TRANSFER_TO"] == "+380441234567"


def test_the_separator_cannot_be_in_a_configured_value():
    for pattern in (QUEUE_RE, CODE_RE, PHONE_RE):
        assert not pattern.match("a|b") and not pattern.match("1|2")


def test_loadgen_counts_the_hand_back():
    class Transport:
        def __init__(self) -> None:
            self.data = b""

        def write(self, data: bytes) -> None:
            self.data += data

        def is_closing(self) -> bool:
            return False

    async def scenario() -> Stats:
        from ivr.loadgen import Scenario

        stats = Stats()
        call = _Call(Scenario("x", 1, 1, ()), stats, b"", check=True)
        call.transport = Transport()  # type: ignore[assignment]
        call.data_received(b'SET VARIABLE "IVR" "hangup||D1|ab|"\n')
        call.data_received(b'SET VARIABLE "IVR" "nonsense"\n')
        assert call.transport.data == b"200 result=1\n" * 2  # type: ignore[union-attr]
        return stats

    assert asyncio.run(scenario()).handed_back == 1


# --------------------------------------------------------------------------- sockets


def test_tune_agi_socket_sets_nodelay_and_quickack():
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            tune_agi_socket(accepted)
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            if TCP_QUICKACK is not None:
                assert accepted.getsockopt(socket.IPPROTO_TCP, TCP_QUICKACK)
                accepted.sendall(b"ANSWER\n")  # data sent soon after data received...
                client.sendall(b"200 result=0\n")
                rearm_quickack(accepted)
                assert accepted.getsockopt(socket.IPPROTO_TCP, TCP_QUICKACK)
    rearm_quickack(accepted)  # closed: no error
    tune_agi_socket(accepted)
