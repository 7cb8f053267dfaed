"""Round trips around a hang-up and at the hand-back (issue 14, items 2 and 5).

A fake Asterisk on a TCP connection speaks the bytes res_agi.c writes: after an interrupted
STREAM FILE it writes ``200 result=-1 endpos=N`` and then, once it has noticed the hang-up,
the unsolicited ``HANGUP`` line (later still when Nagle holds it back for our ACK). The whole
call flow runs on the FastAGI session against it.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from scripted import Everything, ScriptedAsterisk

from ivr import handback
from ivr.agi import MAX_LINE, AsyncAgiSession, Command, split_command_line
from ivr.agi import async_session as async_session_module
from ivr.config.schema import CODE_RE, PHONE_RE, QUEUE_RE
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_async, drive_sync
from ivr.flow.engine import CallFlow
from ivr.loadgen import Stats, _Call
from ivr.simulator import asterisk_env, env_block
from ivr.store.records import CallRecord
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
    ``"missing"`` (-1 on a live channel, no HANGUP line)."""

    def __init__(self, cuts: list[str], hangup_delay: float = 0.0) -> None:
        self.cuts = list(cuts)
        self.hangup_delay = hangup_delay
        self.commands: list[list[str]] = []
        self.dead = False

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(env_block(asterisk_env("0441234567", "0800000373", network=True)))
        while line := await reader.readline():
            args = split_command_line(line.decode())
            self.commands.append(args)
            verb = " ".join(args[:2])
            if self.dead and verb != "SET VARIABLE":
                writer.write(DEAD)
            elif verb == "STREAM FILE":
                cut = self.cuts.pop(0) if self.cuts else "play"
                if cut == "play":
                    writer.write(b"200 result=0 endpos=8000\n")
                else:
                    writer.write(b"200 result=-1 endpos=%d\n" % (1600 if cut == "hangup" else 0))
                if cut == "hangup":
                    self.dead = True
                    await writer.drain()
                    await asyncio.sleep(self.hangup_delay)
                    writer.write(b"HANGUP\n")
            elif verb == "WAIT FOR":
                writer.write(b"200 result=0\n")  # silence: the menu times out
            elif verb == "CHANNEL STATUS":
                writer.write(b"200 result=6\n")
            else:  # ANSWER, SET VARIABLE, GET FULL VARIABLE
                writer.write(b"200 result=1\n" if verb != "ANSWER" else b"200 result=0\n")
            await writer.drain()
        writer.close()

    def verbs(self) -> list[str]:
        return [" ".join(c[:2]) for c in self.commands]


def call_against(config, asterisk: FakeAsterisk) -> CallRecord:
    async def scenario() -> CallRecord:
        ours, theirs = socket.socketpair()
        asterisk_reader, asterisk_writer = await asyncio.open_connection(sock=theirs)
        served = asyncio.create_task(asterisk.serve(asterisk_reader, asterisk_writer))
        reader, writer = await asyncio.open_connection(sock=ours, limit=MAX_LINE + 2)
        session = await AsyncAgiSession.start(reader, writer, reply_timeout=5)
        try:
            record = await drive_async(flow_for(config).run(), session.send)
        finally:
            await session.close()
        await asyncio.wait_for(served, 5)
        return record

    return asyncio.run(asyncio.wait_for(scenario(), 20))


@pytest.mark.parametrize("delay", [0.0, 0.04], ids=["at-once", "nagle-40ms"])
def test_minus_one_then_hangup_line_sends_no_channel_status(shipped_config, delay):
    asterisk = FakeAsterisk(["hangup"], hangup_delay=delay)
    record = call_against(shipped_config, asterisk)
    assert asterisk.verbs() == ["ANSWER", "STREAM FILE", "SET VARIABLE"]
    assert asterisk.commands[-1][2] == handback.VARIABLE
    assert handback.split(asterisk.commands[-1][3])["IVR_RESULT"] == "hangup"
    assert record.outcome.value == "abandoned" and record.result is not None
    assert record.path == []  # cut during the welcome: no step lost, none invented


def test_minus_one_without_hangup_line_still_asks_channel_status(shipped_config, monkeypatch):
    monkeypatch.setattr(async_session_module, "HANGUP_GRACE", 0.05)
    # the first prompt is missing (live channel: no HANGUP line), the caller hangs up later
    asterisk = FakeAsterisk(["missing", "hangup"])
    record = call_against(shipped_config, asterisk)
    verbs = asterisk.verbs()
    assert verbs[:3] == ["ANSWER", "STREAM FILE", "CHANNEL STATUS"]
    assert verbs.count("CHANNEL STATUS") == 1  # not after the hang-up's -1
    assert verbs[-2:] == ["STREAM FILE", "SET VARIABLE"]
    assert record.outcome.value == "abandoned"


def test_a_line_read_while_waiting_for_hangup_is_the_next_reply():
    """Not Asterisk's way, but nothing is lost: a reply already queued after the -1 answers
    the next command."""

    async def scenario() -> None:
        ours, theirs = socket.socketpair()
        theirs.sendall(
            env_block(asterisk_env("0441234567", "0800000373", network=True))
            + b"200 result=-1 endpos=0\n200 result=6\n"
        )
        reader, writer = await asyncio.open_connection(sock=ours, limit=MAX_LINE + 2)
        session = await AsyncAgiSession.start(reader, writer)
        assert (await session.send(Command("STREAM FILE", ("x", "")))).result == "-1"
        assert (await session.send(Command("CHANNEL STATUS"))).result == "6"
        assert not session.hung_up
        await session.close()
        theirs.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))


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
