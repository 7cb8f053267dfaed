"""Storm benchmark: the FastAGI server under outage-day load, against two peers.

    python bench/storm.py                  # everything below, ~8-10 min on 2 cores
    python bench/storm.py --scenario storm --servers ours
    python bench/storm.py --scenario outage-day [--two-servers] [--rate 7000] [--duration 90]
    python bench/storm.py --quick          # small numbers, a smoke test of every part

Scenarios:

* ``burst``: no prompt delay, as many calls per second as the server can take;
* ``storm``: 2 000 concurrent calls, every prompt and every input taking 1 s, 6 000 calls;
* ``outage-day``: Poisson arrivals (7 000 calls a minute), prompts as long as their audio, a
  mix of journeys (outage status of a caller on record, planned outages, the operator,
  hang-ups at random points), on one server and then on two servers sharing one PostgreSQL.

Servers (``--servers``):

* ``ours``: the real ``ivr serve --workers 1`` with the shipped ``config.yaml`` and its
  database (a fresh SQLite file, or ``--db-url``), walking the full flow and logging every
  call; ``ours-2w``: the same with ``--workers 2`` (skipped while ``ivr serve`` has no
  ``--workers``); ``ours-asyncio``, ``ours-2w-asyncio``: with ``--loop asyncio`` instead of
  uvloop (not in the default list);
* ``panoramisk``, ``pyst2``: the peers' minimal journey (answer, greeting with escape
  digits, one digit, one announcement, set a variable, hang up) written directly on
  panoramisk's asyncio FastAGI server and on a bare threaded pyst2 server (``bench/peers/``);
* ``panoramisk-replay``, ``pyst2-replay``: the same peers sending OUR exact command lines of
  the journey (captured from one call of ours, ``--script``), one per reply, so that the
  per-command cost is compared on the same commands, arguments, order and delays.

The load generator (``ivr.loadgen``) runs in separate processes, plays Asterisk's side and
measures think time (Asterisk's reply -> the server's next command) on the client side. Peak
memory and CPU are summed over the server's process tree (a supervisor and its workers);
our server measures its own event-loop lag (``ivr.transport.loop_lag``) and logs it at stop.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.loadgen import Journey, Scenario, Stats, percentile, run_load  # noqa: E402
from ivr.simulator import asterisk_env, env_block  # noqa: E402

HOST = "127.0.0.1"
#: Our caller: presses 1 during the welcome (outages menu), hears the outages menu, presses 2
#: at the wait (current outages), hears the announcement, hangs up when the menu comes back.
OUR_KEYS = ("1", "-", "2", "-", "h")
#: A caller on record (``--journey known``): 1, the outages menu, 2: identified by caller ID,
#: hears their outage status (as many prompts as it takes), hangs up at the menu's next wait.
KNOWN_KEYS = ("1", "-", "2", "H")
#: The peers' caller: hears the greeting, presses 1 at the wait, hears the announcement.
PEER_KEYS = ("-", "1", "-")

#: The outage day's callers (every caller's number is on record, ``seed_outage_day``):
#: * status: 1 during the welcome (outages), 2 at the outages menu's wait (their outage
#:   status, as many prompts as it takes), hang up at the next wait;
#: * planned: 1, then 3 (the planned outages announcement), hang up at the next wait;
#: * operator: 0 during the welcome (the default operator key): the appeal number, the
#:   connecting prompt and the hand-back to the dialplan's queue (``IVR_TRANSFER_TO``);
#: * quality-operator: 2 (quality), 2 at the wait (the operator, topic D2);
#: * hang-up: the status journey, hanging up at a random prompt or wait, at a random point.
OUTAGE_DAY_JOURNEYS = (
    Journey("status", 0.50, ("1", "-", "2", "H")),
    Journey("planned", 0.10, ("1", "-", "3", "H")),
    Journey("operator", 0.12, ("0",)),
    Journey("quality-operator", 0.08, ("2", "-", "2")),
    Journey("hang-up", 0.20, ("1", "-", "2", "-"), hangup_anywhere=True),
)

SCENARIOS = {
    "burst": Scenario("burst", calls=4000, concurrency=64, keys=()),
    "storm": Scenario(
        "storm", calls=6000, concurrency=2000, keys=(), prompt_delay=1.0, input_delay=1.0, ramp=1.0
    ),
}
QUICK: dict[str, dict[str, Any]] = {
    "burst": {"calls": 400, "concurrency": 32},
    "storm": {"calls": 300, "concurrency": 150, "prompt_delay": 0.2, "input_delay": 0.2},
}
#: The outage day: ``--rate`` calls a minute for ``--duration`` seconds.
OUTAGE_RATE = 7000.0
OUTAGE_DURATION = 90.0
#: ``--quick``: fewer calls, the audio 5 times faster, shorter waits.
QUICK_OUTAGE = {"rate": 3000.0, "duration": 5.0, "audio_scale": 0.1, "input_delay": 0.3}

PEERS = ("panoramisk", "pyst2")
REPLAY = "-replay"
DEFAULT_SERVERS = "ours,panoramisk,pyst2,panoramisk-replay,pyst2-replay,ours-2w"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# -- the server's process tree ---------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a supervisor and its workers), from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree = [pid]
    for parent in tree:
        tree.extend(children.get(parent, ()))
    return tree


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM in kB and Threads, summed over the process tree of ``pid`` (the sum of
    the processes' own peaks: at least the tree's peak)."""
    out = {"VmRSS": 0, "VmHWM": 0, "Threads": 0, "processes": 0}
    for each in process_tree(pid):
        try:
            with open(f"/proc/{each}/status") as f:
                for line in f:
                    if line.startswith(("VmRSS:", "VmHWM:", "Threads:")):
                        key, value = line.split(":", 1)
                        out[key] += int(value.split()[0])
        except OSError:
            continue
        out["processes"] += 1
    return out


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the process tree of ``pid``, with its reaped children."""
    total = 0
    for each in process_tree(pid):
        try:
            with open(f"/proc/{each}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


# -- results -----------------------------------------------------------------------------


LAG_LINE = re.compile(
    r"event loop lag since start \((?P<s>[\d.]+) s\): p50 (?P<p50>[\d.]+|-)(?: ms)?, "
    r"p99 (?P<p99>[\d.]+|-)(?: ms)?, max (?P<max>[\d.]+|-)(?: ms)?"
)


def loop_lag(log_path: Path) -> dict[str, float] | None:
    """The worst of the ``event loop lag since start`` lines (one per worker) in a log, ms."""
    worst: dict[str, float] | None = None
    with contextlib.suppress(OSError):
        for match in LAG_LINE.finditer(log_path.read_text(encoding="utf-8", errors="replace")):
            values = {
                k: float(match[k]) if match[k] != "-" else math.nan for k in ("p50", "p99", "max")
            }
            if worst is not None:
                values = {k: max(worst[k], values[k]) for k in worst}
            worst = values
    return worst


@dataclass
class Result:
    server: str
    scenario: Scenario
    stats: Stats
    idle_rss_kb: int
    peak_kb: int
    server_cpu: float
    rows: int | None = None
    commands_per_call: float = 0.0
    lag: dict[str, float] | None = None
    processes: int = 1
    appeals: dict[str, int] = field(default_factory=dict)  # server id -> appeal numbers

    @property
    def calls_per_s(self) -> float:
        return self.stats.calls_completed / self.stats.wall if self.stats.wall else 0.0

    @property
    def commands_per_s(self) -> float:
        return self.stats.commands / self.stats.wall if self.stats.wall else 0.0

    @property
    def cpu_per_command_us(self) -> float:
        return 1e6 * self.server_cpu / self.stats.commands if self.stats.commands else math.nan

    def think(self, pct: float) -> float:
        return percentile(self.stats.think, pct) * 1000

    @property
    def first_p99(self) -> float:
        return percentile(self.stats.first_command, 99) * 1000

    @property
    def concurrency(self) -> int:
        if self.scenario.arrival_rate > 0:
            return max(1, self.stats.peak_active)
        return max(1, min(self.scenario.concurrency, self.scenario.calls))

    @property
    def per_call_kb(self) -> float:
        return max(0, self.peak_kb - self.idle_rss_kb) / self.concurrency

    @property
    def recorded(self) -> bool:
        s = self.stats
        return (
            self.rows == s.calls_started
            and s.calls_completed == s.calls_started
            and not s.calls_failed
            and not s.calls_hung
        )


# -- the servers -------------------------------------------------------------------------


class ServerUnderTest:
    def __init__(
        self,
        name: str,
        command: list[str],
        cwd: Path,
        port: int,
        env: dict[str, str] | None = None,
        processes: int = 1,
    ) -> None:
        self.name = name
        self.port = port
        self.log_path = cwd / f"{name}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            command, cwd=cwd, stdout=self.log, stderr=self.log, env={**ENV, **(env or {})}
        )
        deadline = time.monotonic() + 60
        while not self._probe():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited: see {self.log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} does not listen on {port}")
            time.sleep(0.05)
        # a supervisor's workers: wait until every one runs and the tree's memory settles
        while len(process_tree(self.proc.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3 if processes == 1 else 2.0)

    def _probe(self) -> bool:
        """Is it listening? The probe sends a whole env block for an unknown script: a bare
        connect-and-close makes panoramisk 1.4 spin forever on EOF (its env loop never ends),
        and our server and panoramisk close an unknown script without running a call."""
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                env = asterisk_env("probe", "probe", network=True, script="probe")
                sock.sendall(env_block(env))
        except OSError:
            return False
        return True

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
        finally:
            self.log.close()


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
BENCH_DIR = Path(tempfile.gettempdir()) / "ivr-bench"
SOUNDS = BENCH_DIR / "prompts"


def write_config(
    directory: Path, sounds: Path, db_url: str | None = None, server_id: int = 1
) -> Path:
    """The shipped config.yaml in ``directory``, for the DSO alone (no ``profiles``):
    shipped prompt texts, ``sounds`` audio, the database and journal in ``directory`` (or
    ``db_url``), ``database.server_id``."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = re.sub(r"(?m)^(\s*sounds:\s*)prompts\b", rf"\g<1>{sounds}", text)
    directory_file = ROOT / "examples" / "directory.yaml"
    text = text.replace("directory: examples/directory.yaml", f"directory: {directory_file}")
    # the DSO alone, as the peers answer one company (its profile's audio is not built here)
    text = re.sub(r"(?m)^profiles:\n(?:  .*\n)*", "", text)
    url = db_url or f"sqlite:///{directory / 'ivr.sqlite3'}"
    text = re.sub(r"(?m)^(\s*url:\s*).*$", rf"\g<1>'{url}'", text, count=1)
    text = re.sub(r"(?m)^(\s*server_id:\s*)\d+", rf"\g<1>{server_id}", text, count=1)
    path = directory / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def prepare_workdir(directory: Path = BENCH_DIR) -> Path:
    """A config in ``directory`` with the prompt audio built there (espeak-ng, offline;
    ``ivr serve`` and ``ivr agi`` refuse to run without the audio)."""
    directory.mkdir(parents=True, exist_ok=True)
    sounds = directory / "prompts"
    config = write_config(directory, sounds)
    # The build is incremental: only prompts new or changed since the last run are rendered.
    print(f"building prompt audio in {sounds} (new and changed prompts)", file=sys.stderr)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ivr",
            "prompts",
            "build",
            "--config",
            str(config),
            "--engine",
            "espeak",
        ],
        check=True,
        env=ENV,
        stdout=subprocess.DEVNULL,
    )
    return config


_WORKERS_SUPPORTED: bool | None = None


def serve_has_workers() -> bool:
    """Does ``ivr serve --help`` list ``--workers`` (the supervisor of worker processes)?"""
    global _WORKERS_SUPPORTED
    if _WORKERS_SUPPORTED is None:
        result = subprocess.run(
            [sys.executable, "-m", "ivr", "serve", "--help"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
        _WORKERS_SUPPORTED = "--workers" in result.stdout
    return _WORKERS_SUPPORTED


def workers_of(name: str) -> int:
    """``ours`` -> 1, ``ours-2w`` -> 2 (``-asyncio`` after either: ``--loop asyncio``, not
    uvloop); 0 for a peer."""
    match = re.fullmatch(r"ours(?:-(\d+)w)?(-asyncio)?", name)
    if match is None:
        return 0
    return int(match[1]) if match[1] else 1


def is_ours(name: str) -> bool:
    return workers_of(name) > 0


def start_server(
    name: str,
    workdir: Path,
    db_url: str | None,
    *,
    script: Path | None = None,
    server_id: int = 1,
    max_connections: int | None = None,
    env: dict[str, str] | None = None,
) -> ServerUnderTest:
    port = free_port()
    python = sys.executable
    processes = 1
    if is_ours(name):
        workers = workers_of(name)
        config = write_config(workdir, SOUNDS, db_url, server_id)
        command = [
            python,
            "-m",
            "ivr",
            "serve",
            "--config",
            str(config),
            "--listen",
            f"{HOST}:{port}",
        ]
        if serve_has_workers():
            command += ["--workers", str(workers)]
            processes = workers + 1 if workers > 1 else 1
        if max_connections:
            command += ["--max-connections", str(max_connections)]
        if name.endswith("-asyncio"):
            command += ["--loop", "asyncio"]
        # the lag totals at stop; a line a minute in between
        env = {"IVR_LOOP_LAG_EVERY": "60", **(env or {})}
    elif name.removesuffix(REPLAY) in PEERS:
        peer = name.removesuffix(REPLAY)
        file = "panoramisk_peer.py" if peer == "panoramisk" else "pyst2_threaded_peer.py"
        command = [python, str(ROOT / "bench" / "peers" / file), "--port", str(port)]
        if name.endswith(REPLAY):
            if script is None:
                raise ValueError(f"{name} needs our command script")
            command += ["--script", str(script)]
    else:
        raise ValueError(name)
    return ServerUnderTest(name, command, workdir, port, env, processes)


# -- the database ------------------------------------------------------------------------


def db_scalar(workdir: Path | None, db_url: str | None, sql: str) -> list[tuple]:
    """Rows of ``sql`` on ``db_url`` (or the SQLite file in ``workdir``)."""
    if db_url:
        import sqlalchemy as sa

        engine = sa.create_engine(db_url)
        try:
            with engine.connect() as c:
                return [tuple(row) for row in c.execute(sa.text(sql))]
        finally:
            engine.dispose()
    assert workdir is not None
    path = workdir / "ivr.sqlite3"
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [tuple(row) for row in db.execute(sql)]


def count_rows(workdir: Path | None, db_url: str | None) -> int | None:
    try:
        rows = db_scalar(workdir, db_url, "SELECT count(*) FROM calls")
    except Exception as exc:  # reported, not fatal
        print(f"  cannot count rows: {exc}", file=sys.stderr)
        return None
    return int(rows[0][0]) if rows else 0


def count_appeals(workdir: Path | None, db_url: str | None) -> dict[str, int]:
    """Appeal numbers per server id (``YYMMDD`` + 2-digit server id + sequence), and the
    totals: ``total`` and ``distinct`` (equal: no number given twice)."""
    try:
        rows = db_scalar(workdir, db_url, "SELECT appeal_number FROM appeals")
    except Exception as exc:
        print(f"  cannot count appeals: {exc}", file=sys.stderr)
        return {}
    numbers = [str(r[0]) for r in rows]
    out: dict[str, int] = {"total": len(numbers), "distinct": len(set(numbers))}
    for number in numbers:
        key = f"server {int(number[6:8])}" if number[6:8].isdigit() else "other"
        out[key] = out.get(key, 0) + 1
    return out


def reset_database(db_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.begin() as c:
        for table in ("appeals", "calls"):
            with contextlib.suppress(Exception):
                c.execute(sa.text(f"DELETE FROM {table}"))
    engine.dispose()


def seed_outage_day(url: str, callers: int) -> None:
    """``--journey known`` and the outage day: an account for every number the load
    generator calls from, and 1 000 active outages and a week of schedules around now
    (``bench/lookup.py``'s data)."""
    import random

    import lookup

    from ivr.accounts.model import Account, Address
    from ivr.store.accounts import AccountStore
    from ivr.store.outages import OutageStore
    from ivr.store.repository import CallRepository

    repository = CallRepository(url)
    repository.ensure_schema()
    accounts = [
        Account(
            number=f"2{n:09d}",
            eic=None,
            phones=(f"+38067{n:07d}",),
            address=Address("Вигадане", f"вул. Умовна {n % 400}", f"{n % 150 + 1}"),
            groups=(lookup.GROUPS[n % len(lookup.GROUPS)],),
        )
        for n in range(callers)
    ]
    AccountStore(repository).replace_all(accounts)
    now = datetime.now(lookup.KYIV)
    data = lookup.outage_data(1000, random.Random(373), now=now)
    OutageStore(repository).import_batch(data, "bench", at=now)
    repository.dispose()


class Postgres:
    """``--db-url`` if it is a PostgreSQL URL, else a throwaway server (``tests/pg.py``)."""

    def __init__(self, db_url: str | None) -> None:
        self.server = None
        if db_url and db_url.startswith("postgresql"):
            self.url = db_url
            return
        sys.path.insert(0, str(ROOT / "tests"))
        from pg import ThrowawayPostgres  # type: ignore[import-not-found]

        self.server = ThrowawayPostgres()
        self.server.start()
        self.url = self.server.url

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (its backends are its children), if it is ours."""
        if self.server is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            return int((self.server.datadir / "postmaster.pid").read_text().split()[0])
        return None

    def close(self) -> None:
        if self.server is not None:
            self.server.destroy()


# -- burst and storm ---------------------------------------------------------------------


def keys_for(name: str, journey: str) -> tuple[str, ...]:
    """Ours and the peers replaying our commands get our keys (same delays, same hang-up)."""
    if is_ours(name) or name.endswith(REPLAY):
        return KNOWN_KEYS if journey == "known" else OUR_KEYS
    return PEER_KEYS


def run_one(
    name: str,
    scenario: Scenario,
    processes: int,
    db_url: str | None,
    journey: str = "unknown",
    script: Path | None = None,
) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"ivr-storm-{name}-"))
    try:
        ours = is_ours(name)
        if ours and db_url:
            reset_database(db_url)
        if ours and journey == "known":
            seed_outage_day(db_url or f"sqlite:///{workdir / 'ivr.sqlite3'}", scenario.calls)
        # Only our command lines are checked against the strict grammar (every argument
        # quoted): pyst2 sends unquoted file names and numbers, which Asterisk accepts.
        checked = ours or name.endswith(REPLAY)
        scenario = replace(scenario, keys=keys_for(name, journey), check_commands=checked)
        if name.endswith(REPLAY):  # the first call's lines, checked against the script
            scenario = replace(scenario, record=1)
        server = start_server(name, workdir, db_url, script=script)
        pid = server.proc.pid
        # A few calls first, so that what the first call loads once (look-up engine,
        # modules imported on first use) is in the idle figure and not counted per call.
        warm = warm_up(server.port, scenario)
        before = proc_status(pid)
        cpu0 = proc_cpu(pid)
        try:
            stats = run_load(HOST, server.port, scenario, processes)
            status = proc_status(pid)
            cpu = proc_cpu(pid) - cpu0
        finally:
            code = server.stop()
        if code not in (0, -signal.SIGTERM):
            print(f"  {name} exited with {code}; log in {workdir}", file=sys.stderr)
        rows = count_rows(workdir, db_url) if ours else None
        if rows is not None:  # the warm-up's calls are recorded too: counted apart
            rows -= warm.calls_completed
            if warm.calls_completed != WARM_UP_CALLS:
                print(
                    f"  {name}: warm-up: {warm.calls_completed}/{WARM_UP_CALLS} calls",
                    file=sys.stderr,
                )
        if name.endswith(REPLAY) and script is not None:
            check_replay(name, script, stats)
        return Result(
            name,
            scenario,
            stats,
            before["VmRSS"],
            status["VmHWM"],
            cpu,
            rows,
            stats.commands / max(1, stats.calls_completed),
            loop_lag(server.log_path) if ours else None,
            status["processes"],
        )
    finally:
        if os.environ.get("IVR_BENCH_KEEP"):
            print(f"  kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


#: Calls run (no delays, 4 at a time) before the idle memory is read.
WARM_UP_CALLS = 20


def warm_up(port: int, scenario: Scenario) -> Stats:
    """``WARM_UP_CALLS`` calls of the scenario's journey, without its delays."""
    quick = replace(
        scenario,
        name="warm-up",
        calls=WARM_UP_CALLS,
        concurrency=4,
        prompt_delay=0.0,
        input_delay=0.0,
        ramp=0.0,
        arrival_rate=0.0,
        audio_dir="",
        record=0,
    )
    return run_load(HOST, port, quick, 1)


def check_replay(name: str, script: Path, stats: Stats) -> None:
    """Did the peer send exactly our command lines (what the generator received)?"""
    wanted = [line for line in script.read_text(encoding="utf-8").splitlines() if line.strip()]
    sent = stats.transcripts[0] if stats.transcripts else []
    if sent == wanted:
        print(f"  {name}: sent our {len(wanted)} command lines exactly (first call checked)")
    else:
        first = next(
            (i for i, (a, b) in enumerate(zip(sent, wanted, strict=False)) if a != b),
            min(len(sent), len(wanted)),
        )
        print(
            f"  {name}: NOT our command lines: {len(sent)} sent for {len(wanted)}, first "
            f"difference at line {first + 1}"
        )


def capture_our_commands(db_url: str | None, journey: str) -> tuple[Path, list[str]]:
    """One call of our journey with the load generator recording our command lines: the
    script the ``-replay`` peers send (``BENCH_DIR/ours-commands.txt``)."""
    scenario = Scenario("capture", calls=1, concurrency=1, keys=(), record=1)
    result = run_one("ours", scenario, 1, db_url, journey)
    if not result.stats.transcripts or not result.stats.transcripts[0]:
        raise RuntimeError("no command captured from our server")
    lines = result.stats.transcripts[0]
    path = BENCH_DIR / "ours-commands.txt"
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path, lines


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"  # NaN -> "-"


def print_rows(head: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for line in (head, *rows):
        print(indent + "  ".join(str(x).rjust(w) for x, w in zip(line, widths, strict=True)))


def journey_label(name: str) -> str:
    if is_ours(name):
        return "full flow"
    return "our commands" if name.endswith(REPLAY) else "minimal"


def lag_text(r: Result, key: str) -> str:
    return fmt(r.lag[key], 1) if r.lag else "-"


def print_table(results: list[Result]) -> None:
    head = (
        "server",
        "journey",
        "calls ok/made",
        "calls/s",
        "think p50 ms",
        "p99 ms",
        "max ms",
        "1st cmd p99 ms",
        "loop lag p99/max ms",
        "peak RSS MB",
        "KB/call",
        "rows/calls",
        "srv CPU",
        "gen CPU",
    )
    rows = []
    for r in results:
        s = r.stats
        rows.append(
            (
                r.server if r.processes <= 1 else f"{r.server} ({r.processes} proc)",
                journey_label(r.server),
                f"{s.calls_completed}/{s.calls_started}",
                fmt(r.calls_per_s, 0),
                fmt(r.think(50), 2),
                fmt(r.think(99), 2),
                fmt(r.think(100), 1),
                fmt(r.first_p99, 1),
                f"{lag_text(r, 'p99')}/{lag_text(r, 'max')}",
                fmt(r.peak_kb / 1024, 1),
                fmt(r.per_call_kb, 1),
                "-" if r.rows is None else f"{r.rows}/{s.calls_started}",
                f"{100 * r.server_cpu / s.wall:.0f}%" if s.wall else "-",
                f"{100 * s.cpu / s.wall:.0f}%" if s.wall else "-",
            )
        )
    print_rows(head, rows)
    print("  per command:")
    per_command = ("server", "journey", "cmds/call", "cmds/s", "srv CPU s", "CPU us/cmd")
    cost = [
        (
            r.server,
            journey_label(r.server),
            fmt(r.commands_per_call, 1),
            fmt(r.commands_per_s, 0),
            fmt(r.server_cpu, 2),
            fmt(r.cpu_per_command_us, 1),
        )
        for r in results
    ]
    print_rows(per_command, cost, "  ")
    extra = [r for r in results if r.stats.calls_hung or r.stats.calls_failed or r.stats.malformed]
    for r in extra:
        print(
            f"  {r.server}: {r.stats.calls_failed} failed, {r.stats.calls_hung} hung, "
            f"{r.stats.malformed} malformed commands"
        )


def ratio(a: float, b: float) -> str:
    return f"x{a / b:.2f}" if b and a == a and b == b else "-"


def verdict(ok: bool, what: str, detail: str) -> str:
    return f"{what}: {'MET' if ok else 'MISSED'} ({detail})"


def by_how_much(ours: float, best: float, unit: str, digits: int = 1) -> str:
    if not best or ours != ours or best != best:
        return f"{fmt(ours, digits)} vs {fmt(best, digits)} {unit}"
    return (
        f"{ours:,.{digits}f} vs {best:,.{digits}f} {unit}, x{ours / best:.2f}, "
        f"{100 * (ours - best) / best:+.0f} %"
    )


def print_ratios(name: str, results: list[Result]) -> list[str]:
    verdicts: list[str] = []
    minimal = [r for r in results if r.server in PEERS]
    replaying = [r for r in results if r.server.endswith(REPLAY)]
    for ours in (r for r in results if is_ours(r.server)):
        if minimal or replaying:
            print(f"  ratios, {ours.server} / peer ({name}):")
        for p in [*minimal, *replaying]:
            print(
                f"    vs {p.server:<17} ({journey_label(p.server):>12})  "
                f"calls/s {ratio(ours.calls_per_s, p.calls_per_s)}  "
                f"cmds/s {ratio(ours.commands_per_s, p.commands_per_s)}  "
                f"CPU/cmd {ratio(ours.cpu_per_command_us, p.cpu_per_command_us)}  "
                f"think p99 {ratio(ours.think(99), p.think(99))}  "
                f"1st cmd p99 {ratio(ours.first_p99, p.first_p99)}  "
                f"peak RSS {ratio(ours.peak_kb, p.peak_kb)}"
            )
        tag = f"{name} [{ours.server}]"
        if minimal:
            if name == "burst":
                best = max(minimal, key=lambda r: r.calls_per_s)
                verdicts.append(
                    verdict(
                        ours.calls_per_s >= best.calls_per_s,
                        f"{tag} calls/s >= best peer's minimal server ({best.server})",
                        by_how_much(ours.calls_per_s, best.calls_per_s, "calls/s", 0),
                    )
                )
            else:
                best = min(minimal, key=lambda r: r.think(99))
                verdicts.append(
                    verdict(
                        ours.think(99) <= best.think(99),
                        f"{tag} think p99 <= best peer's ({best.server})",
                        by_how_much(ours.think(99), best.think(99), "ms", 2),
                    )
                )
            best = min(minimal, key=lambda r: r.first_p99)
            verdicts.append(
                verdict(
                    ours.first_p99 <= best.first_p99,
                    f"{tag} 1st command p99 <= best peer's ({best.server})",
                    by_how_much(ours.first_p99, best.first_p99, "ms", 1),
                )
            )
        if replaying and name == "burst":
            best = max(replaying, key=lambda r: r.calls_per_s)
            print(
                f"  {tag} calls/s vs the best peer replaying our commands ({best.server}): "
                f"{by_how_much(ours.calls_per_s, best.calls_per_s, 'calls/s', 0)}"
            )
        elif replaying:
            best = min(replaying, key=lambda r: r.think(99))
            print(
                f"  {tag} think p99 vs the best peer replaying our commands ({best.server}): "
                f"{by_how_much(ours.think(99), best.think(99), 'ms', 2)}"
            )
        if name == "storm":
            verdicts.append(memory_verdict(tag, ours))
        verdicts.append(recorded_verdict(tag, ours))
    return verdicts


def memory_verdict(tag: str, r: Result) -> str:
    return verdict(
        r.per_call_kb < 20,
        f"{tag} memory per concurrent call < 20 KiB",
        f"{r.per_call_kb:.1f} KiB at {r.concurrency} concurrent calls, "
        f"{r.per_call_kb / 20:.2f} of the limit",
    )


def recorded_verdict(tag: str, r: Result) -> str:
    s = r.stats
    return verdict(
        r.recorded,
        f"{tag} every call completed and recorded",
        f"{r.rows} rows for {s.calls_started} calls; {s.calls_completed} completed, "
        f"{s.calls_failed} failed, {s.calls_hung} hung",
    )


# -- the outage day ----------------------------------------------------------------------


def outage_scenario(args: argparse.Namespace, servers: int = 1) -> Scenario:
    rate = args.rate / 60
    duration = args.duration
    extra: dict[str, float] = {}
    if args.quick:
        quick = dict(QUICK_OUTAGE)
        rate = (args.rate if args.rate != OUTAGE_RATE else quick["rate"]) / 60
        duration = args.duration if args.duration != OUTAGE_DURATION else quick["duration"]
        extra = {"audio_scale": quick["audio_scale"], "input_delay": quick["input_delay"]}
    calls = max(servers, round(rate * duration))
    return Scenario(
        "outage-day",
        calls=calls,
        concurrency=min(calls, 10_000),  # not a limit with arrivals: the fd limit's size
        keys=(),
        prompt_delay=1.0,
        input_delay=extra.get("input_delay", 2.0),
        arrival_rate=rate,
        journeys=OUTAGE_DAY_JOURNEYS,
        audio_dir=str(SOUNDS),
        audio_scale=extra.get("audio_scale", 1.0),
        key_after=1.5 if not args.quick else 0.2,
        call_timeout=600.0,
    )


@dataclass
class Running:
    """One of our servers in the outage day, and what the generator measured of it."""

    server: ServerUnderTest
    workdir: Path
    idle_kb: int
    cpu0: float
    stats: Stats | None = None
    peak_kb: int = 0
    cpu: float = 0.0
    processes: int = 1
    error: BaseException | None = None


def outage_day(
    args: argparse.Namespace, servers: int, db_url: str | None, pg_pid: int | None = None
) -> list[str]:
    """The outage day on ``servers`` servers of ours (server ids 1, 2, ...) on ``db_url``
    (shared), the Poisson load shared out between them."""
    scenario = outage_scenario(args, servers)
    name = "ours" if servers == 1 else f"{servers} servers"
    print(
        f"\n== outage-day, {name}: {scenario.arrival_rate * 60:,.0f} calls/min for "
        f"{scenario.calls / scenario.arrival_rate:.0f} s ({scenario.calls} calls, Poisson), "
        f"prompts as long as their audio (x{scenario.audio_scale:g}), waits "
        f"{scenario.input_delay:g} s, database {'PostgreSQL' if db_url else 'SQLite'} =="
    )
    mix = ", ".join(f"{j.name} {j.weight:.0%}" for j in scenario.journeys)
    print(f"  journeys: {mix}")
    first_dir = Path(tempfile.mkdtemp(prefix="ivr-outage-1-"))
    url = db_url or f"sqlite:///{first_dir / 'ivr.sqlite3'}"
    if db_url:
        reset_database(db_url)
    started = time.monotonic()
    seed_outage_day(url, scenario.calls)
    print(
        f"  seeded {scenario.calls} accounts and 1 000 outages in "
        f"{time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    running: list[Running] = []
    db_cpu0 = proc_cpu(pg_pid) if pg_pid else 0.0
    try:
        for n in range(1, servers + 1):
            workdir = first_dir if n == 1 else Path(tempfile.mkdtemp(prefix=f"ivr-outage-{n}-"))
            server = start_server(
                "ours",
                workdir,
                url,
                server_id=n,
                # not the limit measured: above the peak of calls (the longest journey
                # lasts about 70 s with the real audio)
                max_connections=max(10_000, round(scenario.arrival_rate * 90)),
                env={"IVR_LOOP_LAG_EVERY": "30"},
            )
            pid = server.proc.pid
            running.append(Running(server, workdir, proc_status(pid)["VmRSS"], proc_cpu(pid)))
        parts = split_calls(scenario, servers)
        start_at = time.time() + 1.0 + 0.3 * servers
        threads = []
        first = 0
        for run, part in zip(running, parts, strict=True):

            def load(run: Running = run, part: Scenario = part, first: int = first) -> None:
                try:
                    run.stats = run_load(
                        HOST,
                        run.server.port,
                        part,
                        args.processes,
                        first_number=first,
                        start_at=start_at,
                    )
                except BaseException as exc:  # reported below
                    run.error = exc
                pid = run.server.proc.pid
                status = proc_status(pid)
                run.peak_kb, run.processes = status["VmHWM"], status["processes"]
                run.cpu = proc_cpu(pid) - run.cpu0

            threads.append(threading.Thread(target=load))
            first += part.calls
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        db_cpu = proc_cpu(pg_pid) - db_cpu0 if pg_pid else None
    finally:
        for run in running:
            run.server.stop()
    rows = count_rows(first_dir, db_url)
    appeals = count_appeals(first_dir, db_url)
    lines = print_outage_day(scenario, running, rows, appeals, db_cpu)
    for run in running:
        if os.environ.get("IVR_BENCH_KEEP"):
            print(f"  kept {run.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(run.workdir, ignore_errors=True)
    return [f"outage-day [{name}] {line}" for line in lines]


def split_calls(scenario: Scenario, parts: int) -> list[Scenario]:
    out = []
    for i in range(parts):
        calls = scenario.calls // parts + (1 if i < scenario.calls % parts else 0)
        out.append(
            replace(
                scenario,
                calls=calls,
                concurrency=min(calls, scenario.concurrency),
                arrival_rate=scenario.arrival_rate / parts,
                seed=scenario.seed + 7919 * i,
            )
        )
    return out


def print_outage_day(
    scenario: Scenario,
    running: list[Running],
    rows: int | None,
    appeals: dict[str, int],
    db_cpu: float | None,
) -> list[str]:
    head = (
        "server",
        "calls ok/made",
        "peak calls",
        "think p50 ms",
        "p99 ms",
        "max ms",
        "1st cmd p99 ms",
        "loop lag p50/p99/max ms",
        "srv CPU s",
        "srv CPU",
        "peak RSS MB",
        "KB/call",
        "gen CPU",
    )
    table = []
    total = Stats()
    results = []
    for n, run in enumerate(running, 1):
        if run.error is not None or run.stats is None:
            print(f"  server {n}: the load failed: {run.error!r}")
            continue
        stats = run.stats
        total.merge(stats)
        lag = loop_lag(run.server.log_path)
        r = Result(f"server {n}", scenario, stats, run.idle_kb, run.peak_kb, run.cpu, lag=lag)
        results.append(r)
        table.append(outage_row(r, run.processes))
    if len(results) > 1:
        peak = sum(r.peak_kb for r in results)
        idle = sum(r.idle_rss_kb for r in results)
        cpu = sum(r.server_cpu for r in results)
        lag = None
        if all(r.lag for r in results):
            lag = {k: max(r.lag[k] for r in results if r.lag) for k in ("p50", "p99", "max")}
        whole = Result("total", scenario, total, idle, peak, cpu, lag=lag)
        table.append(outage_row(whole, sum(run.processes for run in running)))
        results.append(whole)
    print_rows(head, table)
    if not results:
        return [verdict(False, "the load ran", "no figures")]
    whole = results[-1]
    s = whole.stats
    journeys = ", ".join(f"{k} {v}" for k, v in sorted(s.journeys.items()))
    print(f"  completed per journey: {journeys}")
    print(f"  records written: {rows} rows for {s.calls_started} calls")
    if appeals:
        per_server = ", ".join(f"{k} {v}" for k, v in sorted(appeals.items()) if k.startswith("s"))
        print(
            f"  appeal numbers: {appeals['total']} ({appeals['distinct']} distinct; "
            f"{per_server or 'none'})"
        )
    if db_cpu is not None:
        print(f"  PostgreSQL CPU: {db_cpu:.1f} s ({100 * db_cpu / max(s.wall, 1e-9):.0f}%)")
    if s.malformed or s.calls_failed or s.calls_hung:
        print(f"  {s.calls_failed} failed, {s.calls_hung} hung, {s.malformed} malformed")
    whole.rows = rows
    lines = [recorded_verdict("", whole).strip()]
    if appeals:
        lines.append(
            verdict(
                appeals["total"] == appeals["distinct"],
                "appeal numbers unique",
                f"{appeals['distinct']} distinct of {appeals['total']}",
            )
        )
    lines.append(memory_verdict("", whole).strip())
    return lines


def outage_row(r: Result, processes: int) -> tuple[str, ...]:
    s = r.stats
    lag = "/".join(lag_text(r, k) for k in ("p50", "p99", "max"))
    return (
        r.server if processes <= 1 else f"{r.server} ({processes} proc)",
        f"{s.calls_completed}/{s.calls_started}",
        str(s.peak_active),
        fmt(r.think(50), 2),
        fmt(r.think(99), 2),
        fmt(r.think(100), 1),
        fmt(r.first_p99, 1),
        lag,
        fmt(r.server_cpu, 1),
        f"{100 * r.server_cpu / s.wall:.0f}%" if s.wall else "-",
        fmt(r.peak_kb / 1024, 1),
        fmt(r.per_call_kb, 1),
        f"{100 * s.cpu / s.wall:.0f}%" if s.wall else "-",
    )


# -- main --------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPU ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def usable_servers(names: list[str]) -> list[str]:
    """``names`` without the worker runs ``ivr serve`` cannot do yet (said once)."""
    out = []
    for name in names:
        if workers_of(name) > 1 and not serve_has_workers():
            print(
                f"  {name}: skipped: 'ivr serve --help' lists no --workers (the supervisor "
                "of worker processes is not in this checkout)"
            )
            continue
        out.append(name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        choices=["burst", "storm", "outage-day", "both", "all"],
        default="all",
        help="both: burst and storm; all (default): burst, storm and the outage day",
    )
    parser.add_argument(
        "--servers",
        default=DEFAULT_SERVERS,
        help="comma-separated: ours, ours-<N>w (N workers), panoramisk, pyst2, "
        "panoramisk-replay, pyst2-replay (the peers sending our commands); burst and storm",
    )
    parser.add_argument("--quick", action="store_true", help="small numbers (smoke test)")
    parser.add_argument("--calls", type=int, help="override the number of calls")
    parser.add_argument("--concurrency", type=int, help="override the concurrency")
    parser.add_argument(
        "--processes", type=int, default=1, help="load-generator processes (default 1)"
    )
    parser.add_argument("--db-url", help="our database (default: a fresh SQLite file)")
    parser.add_argument(
        "--journey",
        choices=["unknown", "known"],
        default="unknown",
        help="burst and storm, our caller: not on record (the area-wide text), or on record "
        "(identified by caller ID and told their outage status; the registry and outages "
        "are seeded)",
    )
    parser.add_argument(
        "--rate", type=float, default=OUTAGE_RATE, help="outage day: calls a minute (7000)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=OUTAGE_DURATION,
        help=f"outage day: seconds of arrivals ({OUTAGE_DURATION:g})",
    )
    servers = parser.add_mutually_exclusive_group()
    servers.add_argument(
        "--two-servers",
        action="store_true",
        help="outage day: only the run of two servers sharing one PostgreSQL (default: "
        "one server, then two)",
    )
    servers.add_argument(
        "--one-server", action="store_true", help="outage day: only the one-server run"
    )
    args = parser.parse_args()

    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    for name in names:
        if not is_ours(name) and name.removesuffix(REPLAY) not in PEERS:
            parser.error(f"unknown server {name!r}")
    chosen = {
        "both": ["burst", "storm"],
        "all": ["burst", "storm", "outage-day"],
    }.get(args.scenario, [args.scenario])
    print(f"machine: {machine()}")
    prepare_workdir()
    verdicts: list[str] = []
    timed = [c for c in chosen if c != "outage-day"]
    if timed:
        names = usable_servers(names)
    script = None
    if timed and any(n.endswith(REPLAY) for n in names):
        script, lines = capture_our_commands(args.db_url, args.journey)
        print(f"\nour command sequence ({len(lines)} commands, replayed by the -replay peers):")
        for line in lines:
            print(f"    {line[:110]}")
    for name in timed:
        scenario = SCENARIOS[name]
        if args.quick:
            scenario = replace(scenario, **QUICK[name])
        if args.calls:
            scenario = replace(scenario, calls=args.calls)
        if args.concurrency:
            scenario = replace(scenario, concurrency=args.concurrency)
        print(
            f"\n== {name}: {scenario.calls} calls, {scenario.concurrency} concurrent, "
            f"prompt {scenario.prompt_delay:g} s, input {scenario.input_delay:g} s =="
        )
        results = []
        for server in names:
            started = time.monotonic()
            results.append(
                run_one(server, scenario, args.processes, args.db_url, args.journey, script)
            )
            print(f"  {server}: done in {time.monotonic() - started:.1f} s", file=sys.stderr)
        print_table(results)
        verdicts += print_ratios(name, results)
    if "outage-day" in chosen:
        if not args.two_servers:
            db = args.db_url
            verdicts += outage_day(args, 1, db)
        if not args.one_server:
            try:
                pg = Postgres(args.db_url)
            except Exception as exc:
                print(f"\n== outage-day, 2 servers: skipped: no PostgreSQL ({exc}) ==")
            else:
                try:
                    verdicts += outage_day(args, 2, pg.url, pg.pid)
                finally:
                    pg.close()
    if verdicts:
        print("\ntargets:")
        for line in verdicts:
            print(f"  {line}")


if __name__ == "__main__":
    main()
