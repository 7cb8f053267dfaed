"""``ivr serve --workers N``: worker processes on one port (``SO_REUSEPORT``), a supervisor
that restarts a dead one and passes SIGHUP and SIGTERM on, and the state the processes share
(the journal, the appeal-number sequence) staying correct under concurrency."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from serve_process import ServeProcess
from test_faults import Caller, network_env, tcp_call

from ivr.config import load_config
from ivr.store.appeals import AppealNumberAllocator
from ivr.store.journal import Journal, decode_entry
from ivr.store.records import CallRecord, Outcome
from ivr.store.repository import CallRepository
from ivr.transport.supervisor import MAX_BACKOFF, Supervisor, Worker

LISTENING = r"\[(w\d) (\d+)\] INFO .*listening on 127\.0\.0\.1:(\d+)"


def start_workers(config_path: Path, count: int, *args: str) -> tuple[ServeProcess, dict]:
    """``ivr serve --workers count``; waits until every worker listens. Returns the process
    and ``{"w1": pid, ...}``."""
    serve = ServeProcess(config_path, "--workers", str(count), *args)
    found = serve.wait_for_all(LISTENING, count)
    ports = {m.group(3) for m in found}
    assert ports == {str(serve.address[1])}, f"workers on different ports: {ports}"
    return serve, {m.group(1): int(m.group(2)) for m in found}


def repository_of(config_path: Path) -> CallRepository:
    return CallRepository(f"sqlite:///{config_path.parent / 'ivr.sqlite3'}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[1][0] != "Z"


def test_two_workers_share_the_port_reload_on_sighup_and_drain_on_sigterm(config_copy: Path):
    config = load_config(config_copy)
    serve, pids = start_workers(config_copy, 2)
    try:
        assert len(set(pids.values())) == 2 and serve.proc.pid not in pids.values()
        assert "[supervisor " in serve.text()
        calls = 24
        for _ in range(calls):
            tcp_call(serve.address, config, "1 h")
        ended = serve.wait_for_all(r"\[(w\d) \d+\] .*ended: ", calls)
        served_by = {m.group(1) for m in ended}
        assert served_by == {"w1", "w2"}, "the kernel gave every call to one worker"

        mark = len(serve.lines)
        serve.proc.send_signal(signal.SIGHUP)
        reloaded = serve.wait_for_all(r"\[(w\d) \d+\] .*config reloaded", 2, start=mark)
        assert {m.group(1) for m in reloaded} == {"w1", "w2"}
        serve.wait_for(r"\[supervisor \d+\] .*SIGHUP: reloading the configuration in 2", start=mark)
        assert serve.proc.poll() is None

        running = Caller(serve.address, network_env(config, "0445555555"))
        running.answer_until("WAIT FOR DIGIT")
        mark = len(serve.lines)
        serve.proc.send_signal(signal.SIGTERM)
        serve.wait_for_all(r"\[w\d \d+\] .*stopping: ", 2, start=mark)
        serve.wait_for(r"stopping: 1 calls running", start=mark)
        running.reply("200 result=0")  # the running call goes on and ends normally
        running.finish()
        running.close()
        assert serve.proc.wait(30) == 0
        assert not any(pid_alive(pid) for pid in pids.values())
    finally:
        serve.stop()
    assert "Traceback" not in serve.text()
    repository = repository_of(config_copy)
    try:
        assert repository.count_calls() == calls + 1
        last = repository.find_by_unique_id(running.env["agi_uniqueid"])
        assert last is not None and last.error is None
    finally:
        repository.dispose()


def test_a_killed_worker_is_restarted_and_its_call_recorded_interrupted(config_copy: Path):
    config = load_config(config_copy)
    journal = Journal(config_copy.parent / config.journal_path)
    serve, pids = start_workers(config_copy, 2)
    try:
        caller = Caller(serve.address, network_env(config))
        caller.answer_until("WAIT FOR DIGIT")  # in flight, its start journalled
        uid = caller.env["agi_uniqueid"]
        deadline = time.monotonic() + 5
        owner = None
        while owner is None and time.monotonic() < deadline:
            if journal.path.exists():
                for line in journal.path.read_bytes().splitlines(keepends=True):
                    try:
                        record, entry_owner = decode_entry(line)
                    except ValueError:  # read while being written (we take no lock)
                        continue
                    if record.unique_id == uid and entry_owner is not None:
                        owner = entry_owner
            time.sleep(0.05)
        assert owner is not None, "the call's start was not journalled"
        victim = int(owner["pid"])
        name = next(n for n, pid in pids.items() if pid == victim)
        mark = len(serve.lines)
        os.kill(victim, signal.SIGKILL)
        assert caller.command() == ""  # the dialplan's fallback takes the caller
        caller.close()
        serve.wait_for(
            rf"worker {name[1:]} \(pid {victim}\) died \(killed by SIGKILL\).*restarting",
            start=mark,
        )
        again = serve.wait_for(LISTENING, timeout=20, start=mark)
        assert again.group(1) == name and int(again.group(2)) != victim
        repository = repository_of(config_copy)
        try:
            deadline = time.monotonic() + 20
            found = None
            while time.monotonic() < deadline:
                found = repository.find_by_unique_id(uid)
                if found is not None:
                    break
                time.sleep(0.1)
            assert found is not None, "the killed worker's call was not replayed"
            assert found.outcome.value == "interrupted"
        finally:
            repository.dispose()
        deadline = time.monotonic() + 10  # the replay truncates after it saved the row
        while journal.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not journal.pending()  # the restarted worker's replay emptied it
        tcp_call(serve.address, config, "1 h")  # still serving

        # the supervisor killed outright: its workers stop too (PR_SET_PDEATHSIG)
        workers = [pid for pid in map(int, re.findall(r"started \(pid (\d+)\)", serve.text()))]
        serve.proc.kill()
        serve.proc.wait(10)
        deadline = time.monotonic() + 20
        while any(map(pid_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(pid_alive, workers)), "workers outlived their supervisor"
    finally:
        serve.stop()


def test_sighup_while_the_workers_start_is_neither_lost_nor_fatal(config_copy: Path):
    """SIGHUPs forwarded all through the workers' start: none kills a worker (ignored until
    the worker reads its configuration, which is then the new one anyway), and one that
    arrives after that but before the event loop handles signals is acted on as soon as the
    worker listens."""
    serve = ServeProcess(config_copy, "--workers", "2", wait=False)
    try:
        serve.wait_for_all(r"worker \d started \(pid", 2)
        deadline = time.monotonic() + 30
        while len(re.findall(LISTENING, serve.text())) < 2 and time.monotonic() < deadline:
            serve.proc.send_signal(signal.SIGHUP)
            time.sleep(0.05)
        serve.ready()
        serve.wait_for_all(LISTENING, 2)
        serve.wait_for(r"\[w\d \d+\] .*SIGHUP arrived while starting")
        assert serve.proc.poll() is None and "died" not in serve.text()
        serve.proc.send_signal(signal.SIGTERM)
        assert serve.proc.wait(30) == 0
    finally:
        serve.stop()
    assert "Traceback" not in serve.text()


def test_a_port_in_use_is_said_at_once(config_copy: Path):
    """The supervisor reserves the port before it starts any worker: taken, it exits 2."""
    import socket
    import subprocess
    import sys

    from serve_process import ENV

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ivr", "serve", "--config", str(config_copy)]
            + ["--listen", f"127.0.0.1:{port}", "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
            env=ENV,
            cwd=config_copy.parent,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "worker 1 started" not in result.stderr


def test_the_supervisor_backs_off_a_worker_that_keeps_dying(tmp_path: Path):
    """A worker failing at once is restarted ever later (up to MAX_BACKOFF), not in a loop."""
    import sys
    import threading

    starts = tmp_path / "starts"
    script = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"
    supervisor = Supervisor(lambda number: [sys.executable, "-c", script], 1, stop_timeout=5)
    # stopped at 5.5 s, while the worker waits for its fifth start (at 7.5 s): the four
    # before it exited with 3, which is not the supervisor's own exit code
    timer = threading.Timer(5.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        code = supervisor.run()
    finally:
        timer.cancel()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    assert code == 0
    started = len(starts.read_text())
    assert 3 <= started <= 5  # at 0, 0.5, 1.5, 3.5 s: not hundreds
    worker: Worker = supervisor.workers[0]
    assert 2 <= worker.backoff <= MAX_BACKOFF


# -- state shared by the worker processes -----------------------------------------------------


def allocate(state_dir: str, count: int, queue) -> None:
    allocator = AppealNumberAllocator(Path(state_dir), 7, ZoneInfo("Europe/Kyiv"))
    moment = datetime(2026, 12, 1, 12, tzinfo=UTC)
    queue.put([allocator.next(moment) for _ in range(count)])


def test_appeal_numbers_allocated_by_concurrent_processes_are_unique(tmp_path: Path):
    """The sequence file is locked per number (a fresh descriptor, ``flock``): processes
    allocating at once never get the same number, and none is skipped."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes, each = 4, 150
    workers = [
        context.Process(target=allocate, args=(str(tmp_path), each, queue))
        for _ in range(processes)
    ]
    for process in workers:
        process.start()
    numbers = [number for _ in workers for number in queue.get(timeout=60)]
    for process in workers:
        process.join(30)
        assert process.exitcode == 0
    assert len(numbers) == len(set(numbers)) == processes * each
    assert sorted(int(n[8:13]) for n in numbers) == list(range(1, processes * each + 1))


def sample_record(uid: str) -> CallRecord:
    moment = datetime(2026, 12, 1, 12, tzinfo=UTC)
    return CallRecord(
        call_uid=uid,
        started_at=moment,
        ended_at=moment,
        caller_raw="0441234567",
        caller_number="+380441234567",
        caller_name="",
        dialled_number="0800300000",
        unique_id=uid,
        channel="SIP/test-00000001",
        transport="fastagi",
        role="dso",
        outcome=Outcome.SELF_SERVED,
    )


def journal_worker(path: str, name: str, count: int, saved_to: str) -> None:
    """Appends ``count`` end entries and replays the shared journal after every few."""
    journal = Journal(Path(path))
    saved: list[str] = []

    def save(record: CallRecord) -> bool:
        saved.append(record.call_uid)
        return True

    for index in range(count):
        journal.append(sample_record(f"{name}-{index}"))
        if index % 7 == 0:
            journal.replay(save)
    journal.replay(save)
    Path(saved_to).write_text("\n".join(saved), encoding="utf-8")


def test_one_journal_appended_and_replayed_by_concurrent_processes(tmp_path: Path):
    """Several processes append to one journal and replay it at once: ``flock`` serialises
    them, so every entry is saved exactly once and none is lost or left behind."""
    path = tmp_path / "ivr-journal.jsonl"
    context = multiprocessing.get_context("spawn")
    processes, each = 3, 60
    workers = [
        context.Process(
            target=journal_worker, args=(str(path), f"p{n}", each, str(tmp_path / f"saved{n}"))
        )
        for n in range(processes)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    saved = [
        uid
        for n in range(processes)
        for uid in (tmp_path / f"saved{n}").read_text(encoding="utf-8").split()
    ]
    assert len(saved) == len(set(saved)) == processes * each
    assert not Journal(path).pending()
