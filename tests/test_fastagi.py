"""The FastAGI server over real TCP sockets, driven by the simulator's fake Asterisk."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from conftest import prompts_played

from ivr.simulator import (
    KeyScript,
    asterisk_env,
    env_block,
    parse_keys,
    prompt_describer,
    simulate_fastagi,
)
from ivr.store.async_recorder import AsyncCallRecorder
from ivr.store.recorder import CallRecorder
from ivr.transport.fastagi import FastAgiServer, ServerSettings
from ivr.transport.provider import ConfigProvider, Snapshot

COMPARED_FIELDS = (
    "caller_raw",
    "caller_number",
    "caller_name",
    "dialled_number",
    "role",
    "outcome",
    "result",
    "transfer_to",
    "topic_code",
    "path",
    "error",
)


class RunningServer:
    def __init__(self, config, repository, **settings):
        self.loop = asyncio.new_event_loop()
        self.recorder = AsyncCallRecorder(CallRecorder(repository))
        self.server = FastAgiServer(
            ConfigProvider(Snapshot.of(config)), self.recorder, ServerSettings(port=0, **settings)
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self.server.start())
        self.address = ("127.0.0.1", self.server.port)

    def call(self, coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self):
        self.call(self.server.close(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.recorder.close()


@pytest.fixture
def server(config, repository):
    running = RunningServer(config, repository, env_timeout=0.5)
    yield running
    running.stop()


def over_tcp(server, config, repository, keys, caller="0441234567", **options):
    env = asterisk_env(caller, config.company.dialled_numbers[0], network=True)
    return simulate_fastagi(
        server.address,
        env,
        KeyScript(parse_keys(keys)),
        prompt_describer(config),
        repository=repository,
        **options,
    )


def comparable_events(transcript):
    """Events without the per-call ids (call id, appeal number), which must differ."""
    events = []
    for event in transcript.events:
        if event["type"] == "call":
            continue
        if event.get("name") == "IVR":  # the hand-back: its call id and appeal number
            fields = str(event["value"]).split("|")
            event = {**event, "value": (*fields[:3], *(bool(f) for f in fields[3:]))}
        if str(event.get("id", "")).startswith("digits/"):  # the appeal number read out
            event = {**event, "id": "digits/*", "text": "*"}
        events.append(event)
    return events


@pytest.mark.parametrize("keys", ["", "1 h", "0", "2 1 h", "1 1 * h", "7 7 7"])
def test_tcp_call_matches_the_simulator(config, repository, server, simulate, keys):
    local = simulate(keys)
    remote = over_tcp(server, config, repository, keys)
    assert comparable_events(remote) == comparable_events(local)
    assert remote.record_saved and local.record_saved
    for name in COMPARED_FIELDS:
        assert getattr(remote.record, name) == getattr(local.record, name), name
    assert remote.record.transport == "fastagi"
    assert remote.record.unique_id == remote.env["agi_uniqueid"]


def test_hangup_line_ends_the_call(config, repository, server):
    transcript = over_tcp(server, config, repository, "", hangup_after=3)
    assert [e for e in transcript.events if e["type"] == "hangup"]
    assert transcript.record_saved
    assert transcript.record.outcome.value == "abandoned"
    assert "IVR_RESULT" in transcript.variables  # dead-safe SET VARIABLE still reaches Asterisk


def test_silent_client_is_dropped(server):
    with socket.create_connection(server.address, timeout=5) as sock:
        started = time.monotonic()
        assert sock.recv(100) == b""  # the server closed the connection
        assert time.monotonic() - started < 3


def test_unknown_script_gets_no_commands(config, server):
    env = asterisk_env(
        "0441234567", config.company.dialled_numbers[0], network=True, script="other"
    )
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(env_block(env))
        assert sock.recv(100) == b""


def test_many_calls_at_once(config, repository, server):
    results = []

    def one_call(i):
        results.append(over_tcp(server, config, repository, "1 h", caller=f"067000{i:04d}"))

    threads = [threading.Thread(target=one_call, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 40
    assert all(r.record_saved for r in results)
    assert repository.count_calls() == 40
    assert all(prompts_played(r) for r in results)


def test_connection_limit(config, repository):
    running = RunningServer(config, repository, max_connections=1, env_timeout=5)
    try:
        with socket.create_connection(running.address, timeout=5) as first:
            time.sleep(0.2)
            with socket.create_connection(running.address, timeout=5) as second:
                assert second.recv(100) == b""  # refused: over the limit
            first.sendall(b"agi_network: yes\n")
    finally:
        running.stop()
