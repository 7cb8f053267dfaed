"""The benchmark's fair comparison: a peer started with ``--script FILE`` sends exactly the
file's command lines, one per reply, through a caller who hangs up on the way (the ``HANGUP``
line after ``200 result=-1``, 511 afterwards), on a real loopback socket."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from ivr.loadgen import Scenario, drive
from ivr.simulator import asterisk_env, env_block

SCRIPT = [
    "ANSWER",
    'STREAM FILE "/tmp/sounds/welcome" "#0123"',
    'STREAM FILE "/tmp/sounds/menu" "#*01234"',
    'WAIT FOR DIGIT "6000"',
    'STREAM FILE "/tmp/sounds/status" "#*01234"',
    "CHANNEL STATUS",
    'SET VARIABLE "IVR_TOPIC" "D1"',
    'SET VARIABLE "IVR_RESULT" "hangup"',
]
#: 1 interrupts the welcome, the menu plays out, 2 at the wait, hang-up during the status.
KEYS = ("1", "-", "2", "h")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """A whole env block for an unknown script (as ``bench/storm.py`` probes): a bare
    connect-and-close makes panoramisk 1.4 spin for ever on EOF."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(env_block(asterisk_env("probe", "probe", network=True, script="x")))
            return True
    except OSError:
        return False


@pytest.mark.parametrize("peer", ["pyst2_threaded_peer.py", "panoramisk_peer.py"])
def test_a_replaying_peer_sends_exactly_the_script(peer, tmp_path):
    if peer.startswith("panoramisk"):
        pytest.importorskip("panoramisk")
    script = tmp_path / "ours.txt"
    script.write_text("".join(f"{line}\n" for line in SCRIPT), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "bench" / "peers" / peer), "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--script", str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not listening(port):
            assert proc.poll() is None, "the peer exited"
            assert time.monotonic() < deadline, "the peer does not listen"
            time.sleep(0.05)
        scenario = Scenario("replay", calls=3, concurrency=3, keys=KEYS, record=3)
        stats = asyncio.run(drive("127.0.0.1", port, scenario))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert stats.calls_completed == 3 and not stats.malformed
    assert stats.transcripts == [SCRIPT] * 3
