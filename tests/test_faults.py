"""Faults the FastAGI server must survive (issue 5): each one an automated test.

The database stopping under load, silent and stalling clients, connection storms, a hang-up
at every point of the flow, SIGHUP reloads (valid and invalid) during calls and SIGTERM
draining, the last two against a real ``python -m ivr serve`` process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SHIPPED_CONFIG
from serve_process import ENV, ServeProcess

from ivr.config import load_config
from ivr.simulator import (
    KeyScript,
    asterisk_env,
    env_block,
    parse_keys,
    prompt_describer,
    simulate_fastagi,
)
from ivr.store.async_recorder import AsyncCallRecorder
from ivr.store.journal import Journal
from ivr.store.recorder import DATABASE, JOURNAL, CallRecorder
from ivr.store.repository import CallRepository
from ivr.transport.fastagi import FastAgiServer, ServerSettings, parse_allow, peer_allowed
from ivr.transport.provider import ConfigProvider, Snapshot


class Server:
    """The FastAGI server in a thread with its own event loop (any recorder; a provider of
    ``config`` alone unless one is given)."""

    def __init__(
        self, config, recorder: CallRecorder, provider: ConfigProvider | None = None, **settings
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.recorder = AsyncCallRecorder(recorder, replay_every=settings.pop("replay_every", 10.0))
        provider = provider or ConfigProvider(Snapshot.of(config))
        self.server = FastAgiServer(provider, self.recorder, ServerSettings(port=0, **settings))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self.server.start())
        self.address = ("127.0.0.1", self.server.port)

    def call(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def active(self) -> int:
        async def count() -> int:
            return len(self.server.active)

        return self.call(count())

    def wait_idle(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.active() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.active() == 0, "connections still held by the server"

    def stop(self) -> None:
        self.call(self.server.close(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.recorder.close()


class Caller:
    """Asterisk's side of one call, step by step: read a command, answer it, or go silent."""

    def __init__(self, address: tuple[str, int], env: dict[str, str]) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.rfile = self.sock.makefile("rb")
        self.env = env
        self.sock.sendall(env_block(env))

    def command(self) -> str:
        return self.rfile.readline(9000).decode()

    def reply(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")

    def answer_until(self, word: str, limit: int = 30) -> str:
        """Answer every command with a plain 200 until one containing ``word`` arrives."""
        for _ in range(limit):
            line = self.command()
            assert line, f"connection closed before {word!r}"
            if word in line:
                return line
            self.reply("200 result=0 endpos=8000" if "STREAM" in line else "200 result=0")
        raise AssertionError(f"no command with {word!r}")

    def finish(self, limit: int = 400) -> list[str]:
        """Answer (no keys) until the server hangs up; returns the commands seen."""
        seen = []
        for _ in range(limit):
            line = self.command()
            if not line:
                return seen
            seen.append(line)
            self.reply("200 result=0 endpos=8000" if "STREAM" in line else "200 result=1")
        raise AssertionError("the call did not end")

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


def network_env(config, caller: str = "0441234567") -> dict[str, str]:
    return asterisk_env(caller, config.company.dialled_numbers[0], network=True)


def tcp_call(server_address, config, keys: str, caller: str = "0441234567", **options):
    env = asterisk_env(caller, config.company.dialled_numbers[0], network=True)
    return simulate_fastagi(
        server_address, env, KeyScript(parse_keys(keys)), prompt_describer(config), **options
    )


# -- security defaults -----------------------------------------------------------------------


def test_allow_list_parsing_and_matching():
    loopback = ServerSettings().allow
    assert peer_allowed(("127.0.0.1", 5), loopback)
    assert peer_allowed(("::1", 5, 0, 0), loopback)
    assert peer_allowed(("::ffff:127.0.0.1", 5, 0, 0), loopback)
    assert not peer_allowed(("10.0.0.5", 5), loopback)
    assert not peer_allowed(None, loopback)
    allow = parse_allow("127.0.0.1, 10.0.0.0/24")
    assert peer_allowed(("10.0.0.200", 1), allow)
    assert not peer_allowed(("10.0.1.1", 1), allow)
    assert peer_allowed(("192.0.2.1", 1), parse_allow("any"))
    with pytest.raises(ValueError):
        parse_allow("10.0.0.0/33")
    with pytest.raises(ValueError):
        parse_allow(" , ")


def test_peer_outside_the_allow_list_is_closed_at_once(config, repository, caplog):
    running = Server(config, CallRecorder(repository), allow=parse_allow("10.9.9.9"))
    try:
        with socket.create_connection(running.address, timeout=5) as sock:
            try:
                sock.sendall(env_block(network_env(config)))
                assert sock.recv(100) == b""
            except ConnectionResetError:  # closed with our env block unread: a reset
                pass
        deadline = time.monotonic() + 2
        while not running.server.refused["peer"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert running.server.refused["peer"] == 1
        assert "not in the allow-list" in caplog.text
    finally:
        running.stop()


def test_non_loopback_listen_requires_an_allow_list(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ivr",
            "serve",
            "--config",
            str(SHIPPED_CONFIG),
            "--listen",
            "0.0.0.0:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert result.returncode == 2
    assert "--allow" in result.stderr


# -- clients that misbehave ------------------------------------------------------------------


@pytest.mark.parametrize("sent", [b"", b"agi_netw", b"agi_network: yes\nagi_request: agi:"])
def test_silent_or_stalled_client_is_timed_out_and_its_slot_freed(config, repository, sent):
    running = Server(config, CallRecorder(repository), env_timeout=0.3)
    try:
        with socket.create_connection(running.address, timeout=5) as sock:
            sock.sendall(sent)
            started = time.monotonic()
            assert sock.recv(100) == b""
            assert time.monotonic() - started < 2
        running.wait_idle()
        assert tcp_call(running.address, config, "0").events[-1]["type"] == "end"
    finally:
        running.stop()


def test_thousands_of_connections_opened_and_dropped(config, repository):
    running = Server(config, CallRecorder(repository), env_timeout=1.0)
    block = env_block(network_env(config))
    try:
        for round_ in range(4):
            socks = [socket.create_connection(running.address, timeout=5) for _ in range(500)]
            for i, sock in enumerate(socks):
                if i % 3 == 0:  # reset instead of an orderly close
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                elif i % 3 == 1:  # a part of the env block (or all of it), then gone
                    sock.sendall(block[: (i * 7 + round_) % len(block)])
                sock.close()
        running.wait_idle(timeout=10)
        transcript = tcp_call(running.address, config, "0", repository=repository)
        assert transcript.record_saved
    finally:
        running.stop()


def test_connection_cap_logs_a_clear_line(config, repository, caplog):
    running = Server(config, CallRecorder(repository), max_connections=2, env_timeout=5)
    try:
        held = [socket.create_connection(running.address, timeout=5) for _ in range(2)]
        time.sleep(0.2)
        for _ in range(3):
            with socket.create_connection(running.address, timeout=5) as extra:
                assert extra.recv(100) == b""
        assert running.server.refused["limit"] == 3
        assert "connection limit 2 reached (--max-connections)" in caplog.text
        for sock in held:
            sock.close()
        running.wait_idle()
    finally:
        running.stop()


def test_load_generator_against_the_server(config, repository):
    """The benchmark's load generator (ivr.loadgen): every call completes, every command is
    well formed (verb + quoted arguments), every call is recorded."""
    from ivr.loadgen import Scenario, drive

    running = Server(config, CallRecorder(repository))
    try:
        scenario = Scenario("smoke", calls=60, concurrency=20, keys=("1", "-", "2", "-", "h"))
        stats = running.call(drive(*running.address, scenario), timeout=60)
        assert stats.calls_completed == 60 and stats.calls_failed == stats.calls_hung == 0
        assert stats.malformed == 0
        assert len(stats.first_command) == 60 and stats.think
        deadline = time.monotonic() + 5
        while repository.count_calls() < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert repository.count_calls() == 60
    finally:
        running.stop()


def test_load_generator_refuses_non_loopback_targets():
    from ivr.loadgen import Scenario, run_load

    with pytest.raises(ValueError, match="loopback"):
        run_load("192.0.2.1", 4573, Scenario("x", calls=1, concurrency=1, keys=()))


# -- a hang-up anywhere ----------------------------------------------------------------------


def test_hangup_at_every_point_of_the_flow(config, repository):
    """The caller hangs up after 0..N commands (HANGUP line, or the socket just closes)."""
    running = Server(config, CallRecorder(repository), env_timeout=2)
    keys = "1 3 0"  # outages -> planned outage announcement -> back ... a long journey
    try:
        full = tcp_call(running.address, config, keys, repository=repository)
        assert full.record_saved
        total = sum(1 for e in full.events if e["type"] != "call") + 2
        for after in range(total):
            transcript = tcp_call(
                running.address,
                config,
                keys,
                hangup_after=after,
                caller=f"06700{after:05d}",
                repository=repository,
            )
            assert transcript.record_saved, after
            assert transcript.record.outcome.value in (
                "abandoned",
                "self_served",
                "operator",
                "after_hours",
            ), after
        for after in range(total):  # EOF without a HANGUP line
            caller = Caller(running.address, network_env(config, f"06800{after:05d}"))
            for _ in range(after):
                line = caller.command()
                if not line:
                    break
                caller.reply("200 result=0 endpos=8000" if "STREAM" in line else "200 result=0")
            caller.close()
        running.wait_idle()
        deadline = time.monotonic() + 5
        while repository.count_calls() < 1 + 2 * total and time.monotonic() < deadline:
            time.sleep(0.05)
        assert repository.count_calls() == 1 + 2 * total
        assert running.server.calls_served == 1 + 2 * total
    finally:
        running.stop()


# -- the database stops during load ----------------------------------------------------------


def test_database_stops_during_load(config, own_postgres, tmp_path):
    """Calls go on at full speed while PostgreSQL is down; every record lands afterwards."""
    repository = CallRepository(own_postgres.url)
    repository.ensure_schema()
    recorder = CallRecorder(repository, Journal(tmp_path / "journal.jsonl"), retry_after=0.3)
    running = Server(config, recorder, replay_every=0.3)
    durations: list[float] = []
    failures: list[BaseException] = []
    stop_at, calls = 30, 90

    def one_call(i: int) -> None:
        started = time.monotonic()
        try:
            transcript = tcp_call(running.address, config, "1 3 h", caller=f"067{i:07d}")
            assert transcript.events[-1]["type"] == "end"
        except BaseException as exc:  # reported below
            failures.append(exc)
        durations.append(time.monotonic() - started)

    try:
        threads = []
        for i in range(calls):
            if i == stop_at:
                own_postgres.stop()
            thread = threading.Thread(target=one_call, args=(i,))
            thread.start()
            threads.append(thread)
            time.sleep(0.01)
        for thread in threads:
            thread.join(30)
        assert not failures, failures[:3]
        assert max(durations) < 2.0, "a call was delayed by the database outage"
        counts = recorder.counts
        deadline = time.monotonic() + 10
        while sum(counts.values()) < calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert counts[JOURNAL] > 0 and counts["lost"] == 0
        assert counts[DATABASE] + counts[JOURNAL] == calls
        own_postgres.start()
        deadline = time.monotonic() + 20
        while recorder.journal.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not recorder.journal.pending(), "the journal was not replayed"
        assert repository.count_calls() == calls
    finally:
        running.stop()
        repository.dispose()


# -- SIGHUP and SIGTERM on a real `ivr serve` ------------------------------------------------


def played(lines: list[str]) -> list[str]:
    return [Path(line.split('"')[1]).name for line in lines if line.startswith("STREAM FILE")]


def test_sighup_reload_during_calls(config_copy: Path):
    config = load_config(config_copy)  # the describer needs its sounds directory
    serve = ServeProcess(config_copy)
    try:
        running = Caller(serve.address, network_env(config))
        running.answer_until("WAIT FOR DIGIT")  # at the main menu, on the old config
        text = config_copy.read_text(encoding="utf-8")
        new_text = (
            text.replace('"1": {action: menu, menu: outages}', "SWAP")
            .replace('"2": {action: menu, menu: quality}', '"2": {action: menu, menu: outages}')
            .replace("SWAP", '"1": {action: menu, menu: quality}')
            .replace('label: "Приєднання до електромереж"', 'label: "Приєднання (нове)"')
        )  # keys 1 and 2 swapped, a topic renamed
        assert new_text != text
        config_copy.write_text(new_text, encoding="utf-8")
        mark = len(serve.lines)
        serve.proc.send_signal(signal.SIGHUP)
        serve.wait_for(r"config reloaded", start=mark)
        history = CallRepository(f"sqlite:///{config_copy.parent / 'ivr.sqlite3'}")
        assert history.topic_label("dso", "D3", datetime.now(UTC)) == "Приєднання (нове)"
        history.dispose()
        fresh = tcp_call(serve.address, config, "1 h")
        ids = [e["id"] for e in fresh.events if e["type"] == "prompt"]
        assert "menu_quality" in ids and "menu_outages" not in ids  # new call: new menus
        running.reply(f"200 result={ord('1')}")
        after = running.finish()
        assert any("menu_outages" in name for name in played(after))  # old call: old menus
        running.close()

        config_copy.write_text("company: [\n", encoding="utf-8")  # invalid
        mark = len(serve.lines)
        serve.proc.send_signal(signal.SIGHUP)
        serve.wait_for(r"config reload of .* refused; keeping the running config", start=mark)
        assert serve.proc.poll() is None
        again = tcp_call(serve.address, config, "1 h")
        assert "menu_quality" in [e["id"] for e in again.events if e["type"] == "prompt"]
    finally:
        serve.stop()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_sigterm_drains_running_calls_then_exits(config_copy: Path, config, loop):
    """SIGTERM: calls that end inside the drain deadline end normally; the rest are handed
    to the operator queue at their next reply, on purpose and recorded so; a call that sends
    no reply within the cut grace is closed and recorded ``interrupted``. No traceback. On
    both event loops ``ivr serve`` can run on."""
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    serve = ServeProcess(config_copy, "--drain-timeout", "1.5", "--cut-grace", "2", "--loop", loop)
    try:
        finishing = Caller(serve.address, network_env(config, "0441111111"))
        finishing.answer_until("WAIT FOR DIGIT")
        waiting = Caller(serve.address, network_env(config, "0442222222"))
        waiting.answer_until("WAIT FOR DIGIT")
        stalled = Caller(serve.address, network_env(config, "0443333333"))
        stalled.answer_until("WAIT FOR DIGIT")
        started = time.monotonic()
        serve.proc.send_signal(signal.SIGTERM)
        serve.wait_for(r"stopping: 3 calls running")
        with pytest.raises(OSError):  # no longer accepting
            socket.create_connection(serve.address, timeout=2).close()
        finishing.reply("200 result=0")  # this call ends normally inside the deadline
        finishing.finish()
        serve.wait_for(r"drain deadline: handing 2 running calls to the operator queue")
        waiting.reply("200 result=0")  # its wait ends after the deadline: to the operator
        handed = waiting.finish()
        assert any(line.startswith('SET VARIABLE "IVR" "operator|') for line in handed)
        assert not [line for line in handed if line.startswith(("STREAM", "WAIT"))]
        assert serve.proc.wait(15) == 0
        assert 3.4 < time.monotonic() - started < 10
        assert stalled.command() == ""  # closed after the cut grace
        for caller in (finishing, waiting, stalled):
            caller.close()
    finally:
        serve.stop()
    assert "Traceback" not in serve.text() and "CancelledError" not in serve.text()
    database = dataclasses.replace(
        config, database_url=f"sqlite:///{config_copy.parent}/ivr.sqlite3"
    )
    repository = CallRepository(database.database_url)
    try:
        assert repository.count_calls() == 3
        done = repository.find_by_unique_id(finishing.env["agi_uniqueid"])
        assert done is not None and done.error is None
        handed_over = repository.find_by_unique_id(waiting.env["agi_uniqueid"])
        assert handed_over is not None and handed_over.outcome.value == "operator"
        assert "server is stopping" in (handed_over.error or "")
        cut = repository.find_by_unique_id(stalled.env["agi_uniqueid"])
        assert cut is not None and cut.outcome.value == "interrupted"
        assert "server stopped" in (cut.error or "")
    finally:
        repository.dispose()


def test_clean_stop_leaves_every_record_in_the_sqlite_file_itself(config_copy: Path, config):
    """After SIGTERM the data is in ivr.sqlite3, not only in its WAL: a copy of the file
    alone (what an admin backs up) holds the calls."""
    import shutil
    import sqlite3

    serve = ServeProcess(config_copy)
    try:
        tcp_call(serve.address, config, "1 h")
        serve.wait_for(r"ended: ")
        serve.proc.send_signal(signal.SIGTERM)
        assert serve.proc.wait(30) == 0
    finally:
        serve.stop()
    copy = config_copy.parent / "backup" / "copy.sqlite3"
    copy.parent.mkdir()
    shutil.copy(config_copy.parent / "ivr.sqlite3", copy)
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM calls").fetchone() == (1,)


def test_oversized_reply_closes_the_connection_and_records_why(config, repository):
    """A reply line over the limit leaves a stream that cannot be read in step: the server
    closes the connection at once (the dialplan's fallback takes the caller), no command is
    written after it, and the record says what happened."""
    running = Server(config, CallRecorder(repository))
    try:
        caller = Caller(running.address, network_env(config))
        caller.answer_until("STREAM FILE")
        caller.reply("200 result=0 endpos=" + "9" * 9000)
        started = time.monotonic()
        assert caller.command() == ""  # closed, nothing more written
        assert time.monotonic() - started < 2
        caller.close()
        running.wait_idle()
    finally:
        running.stop()
    record = repository.find_by_unique_id(caller.env["agi_uniqueid"])
    assert record is not None and "longer than" in (record.error or "")
    assert record.outcome.value == "failed"
    assert record.result is None  # nothing reached the dialplan: its fallback took the call
    assert "fallback" in record.error


def test_slow_blocking_work_never_stalls_the_event_loop(config, repository, monkeypatch):
    """Appeal numbers come from a locked, fsynced file: on a slow disk that takes time. The
    server runs such work as effects in threads, so a watchdog on the event loop sees no
    stall while operator calls (each allocating a number) run at once."""
    from ivr.store.appeals import AppealNumberAllocator

    original = AppealNumberAllocator.next

    def slow_next(self, moment):
        time.sleep(0.25)  # a disk that takes a quarter of a second per fsync
        return original(self, moment)

    monkeypatch.setattr(AppealNumberAllocator, "next", slow_next)
    running = Server(config, CallRecorder(repository))
    lags: list[float] = []

    async def watchdog(stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(0.005)
            lags.append(loop.time() - before - 0.005)

    # A full collection of the suite's heap (hundreds of ms late in a whole run) is not
    # blocking work: collect now and keep the collector out of the measured window.
    gc.collect()
    gc.disable()
    try:
        stop = asyncio.Event()
        watching = asyncio.run_coroutine_threadsafe(watchdog(stop), running.loop)
        threads = [
            threading.Thread(target=tcp_call, args=(running.address, config, "0")) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        running.loop.call_soon_threadsafe(stop.set)
        watching.result(5)
        running.wait_idle()
    finally:
        gc.enable()
        running.stop()
    assert repository.count_appeals() == 8  # every call got its number
    assert max(lags) < 0.1, f"event loop stalled {max(lags) * 1000:.0f} ms"


def test_load_generator_hangs_up_at_the_first_wait_after_every_prompt(config, repository):
    """``H`` lets every prompt play out and hangs up at the next wait: the journey of the
    benchmark's callers on record, whose status takes a varying number of prompts."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ivr.loadgen import Scenario, drive
    from ivr.store.models import Call

    running = Server(config, CallRecorder(repository))
    try:
        scenario = Scenario("waits", calls=5, concurrency=5, keys=("1", "H"))
        stats = running.call(drive(*running.address, scenario), timeout=60)
        assert stats.calls_completed == 5 and stats.malformed == 0
        deadline = time.monotonic() + 5
        while repository.count_calls() < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        with Session(repository.engine) as session:
            paths = [call.path for call in session.scalars(select(Call))]
        # 1 cuts the welcome: the outages menu plays out, the caller hangs up at its wait
        assert paths == [[{"menu": "main", "key": "1", "action": "menu"}]] * 5
    finally:
        running.stop()
