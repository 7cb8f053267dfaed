"""Storm benchmark: the FastAGI server under outage-day load, against two peers.

    python bench/storm.py                  # both scenarios, ours + panoramisk + pyst2
    python bench/storm.py --scenario storm --servers ours
    python bench/storm.py --quick          # small numbers, a smoke test

Scenarios:

* ``burst``: no prompt delay, as many calls per second as the server can take;
* ``storm``: 2 000 concurrent calls, every prompt and every input taking 1 s, 6 000 calls.

Our server is the real ``ivr serve`` with the shipped ``config.yaml`` and its database (a
fresh SQLite file, or ``--db-url``), walking the full flow and logging every call. The peers
run the same short journey (answer, greeting with escape digits, one digit, one
announcement, set a variable, hang up) written directly on panoramisk's asyncio FastAGI
server and on a bare threaded pyst2 server (``bench/peers/``). The load generator
(``ivr.loadgen``) runs in separate processes, plays Asterisk's side and measures think time
(Asterisk's reply -> the server's next command) on the client side. Peak memory is the
server's ``VmHWM``.
"""

from __future__ import annotations

import argparse
import contextlib
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
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.loadgen import Scenario, Stats, percentile, run_load  # noqa: E402
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

SCENARIOS = {
    "burst": Scenario("burst", calls=4000, concurrency=64, keys=()),
    "storm": Scenario(
        "storm", calls=6000, concurrency=2000, keys=(), prompt_delay=1.0, input_delay=1.0, ramp=1.0
    ),
}
QUICK = {
    "burst": {"calls": 600, "concurrency": 32},
    "storm": {"calls": 600, "concurrency": 300, "prompt_delay": 0.3, "input_delay": 0.3},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM in kB from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "Threads:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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

    @property
    def calls_per_s(self) -> float:
        return self.stats.calls_completed / self.stats.wall if self.stats.wall else 0.0

    def think(self, pct: float) -> float:
        return percentile(self.stats.think, pct) * 1000

    @property
    def first_p99(self) -> float:
        return percentile(self.stats.first_command, 99) * 1000

    @property
    def per_call_kb(self) -> float:
        return max(0, self.peak_kb - self.idle_rss_kb) / max(1, self.scenario.concurrency)


class ServerUnderTest:
    def __init__(self, name: str, command: list[str], cwd: Path, port: int) -> None:
        self.name = name
        self.port = port
        self.log = open(cwd / f"{name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(command, cwd=cwd, stdout=self.log, stderr=self.log, env=ENV)
        deadline = time.monotonic() + 30
        while not self._probe():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited: see {self.log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} does not listen on {port}")
            time.sleep(0.05)
        time.sleep(0.3)

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


def write_config(directory: Path, sounds: Path, db_url: str | None = None) -> Path:
    """The shipped config.yaml in ``directory``, for the DSO alone (no ``profiles``):
    shipped prompt texts, ``sounds`` audio, the database and journal in ``directory`` (or
    ``db_url``)."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = re.sub(r"(?m)^(\s*sounds:\s*)prompts\b", rf"\g<1>{sounds}", text)
    directory_file = ROOT / "examples" / "directory.yaml"
    text = text.replace("directory: examples/directory.yaml", f"directory: {directory_file}")
    # the DSO alone, as the peers answer one company (its profile's audio is not built here)
    text = re.sub(r"(?m)^profiles:\n(?:  .*\n)*", "", text)
    url = db_url or f"sqlite:///{directory / 'ivr.sqlite3'}"
    text = re.sub(r"(?m)^(\s*url:\s*).*$", rf"\g<1>'{url}'", text, count=1)
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


def start_server(name: str, workdir: Path, db_url: str | None) -> ServerUnderTest:
    port = free_port()
    python = sys.executable
    if name == "ours":
        config = write_config(workdir, BENCH_DIR / "prompts", db_url)
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
    elif name == "panoramisk":
        command = [
            python,
            str(ROOT / "bench" / "peers" / "panoramisk_peer.py"),
            "--port",
            str(port),
        ]
    elif name == "pyst2":
        command = [
            python,
            str(ROOT / "bench" / "peers" / "pyst2_threaded_peer.py"),
            "--port",
            str(port),
        ]
    else:
        raise ValueError(name)
    return ServerUnderTest(name, command, workdir, port)


def count_rows(workdir: Path, db_url: str | None) -> int | None:
    if db_url:
        try:
            import sqlalchemy as sa

            engine = sa.create_engine(db_url)
            with engine.connect() as c:
                n = c.execute(sa.text("SELECT count(*) FROM calls")).scalar_one()
            engine.dispose()
            return int(n)
        except Exception as exc:  # reported, not fatal
            print(f"  cannot count rows: {exc}", file=sys.stderr)
            return None
    path = workdir / "ivr.sqlite3"
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT count(*) FROM calls").fetchone()[0])


def reset_database(db_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.begin() as c:
        for table in ("appeals", "calls"):
            with contextlib.suppress(Exception):
                c.execute(sa.text(f"DELETE FROM {table}"))
    engine.dispose()


def seed_outage_day(url: str, callers: int) -> None:
    """``--journey known``: an account for every number the load generator calls from, and
    1 000 active outages and a week of schedules around now (``bench/lookup.py``'s data)."""
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


def run_one(
    name: str, scenario: Scenario, processes: int, db_url: str | None, journey: str = "unknown"
) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"ivr-storm-{name}-"))
    try:
        if name == "ours" and db_url:
            reset_database(db_url)
        keys = OUR_KEYS if name == "ours" else PEER_KEYS
        if name == "ours" and journey == "known":
            seed_outage_day(db_url or f"sqlite:///{workdir / 'ivr.sqlite3'}", scenario.calls)
            keys = KNOWN_KEYS
        # Only our commands are checked against the strict grammar (every argument quoted):
        # pyst2 sends unquoted file names and numbers, which Asterisk accepts.
        scenario = replace(scenario, keys=keys, check_commands=name == "ours")
        server = start_server(name, workdir, db_url)
        pid = server.proc.pid
        idle = proc_status(pid)["VmRSS"]
        cpu0 = proc_cpu(pid)
        try:
            stats = run_load(HOST, server.port, scenario, processes)
            status = proc_status(pid)
            cpu = proc_cpu(pid) - cpu0
        finally:
            code = server.stop()
        if code not in (0, -signal.SIGTERM):
            print(f"  {name} exited with {code}; log in {workdir}", file=sys.stderr)
        rows = count_rows(workdir, db_url) if name == "ours" else None
        result = Result(
            name,
            scenario,
            stats,
            idle,
            status["VmHWM"],
            cpu,
            rows,
            stats.commands / max(1, stats.calls_completed),
        )
        return result
    finally:
        if os.environ.get("IVR_BENCH_KEEP"):
            print(f"  kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"  # NaN -> "-"


def print_table(results: list[Result]) -> None:
    head = (
        "server",
        "calls ok/made",
        "calls/s",
        "cmds/call",
        "think p50 ms",
        "p99 ms",
        "max ms",
        "1st cmd p99 ms",
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
                r.server,
                f"{s.calls_completed}/{s.calls_started}",
                fmt(r.calls_per_s, 0),
                fmt(r.commands_per_call, 1),
                fmt(r.think(50), 2),
                fmt(r.think(99), 2),
                fmt(r.think(100), 1),
                fmt(r.first_p99, 1),
                fmt(r.peak_kb / 1024, 1),
                fmt(r.per_call_kb, 1),
                "-" if r.rows is None else f"{r.rows}/{s.calls_started}",
                f"{100 * r.server_cpu / s.wall:.0f}%" if s.wall else "-",
                f"{100 * s.cpu / s.wall:.0f}%" if s.wall else "-",
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for line in (head, *rows):
        print("  ".join(str(x).rjust(w) for x, w in zip(line, widths, strict=True)))
    extra = [r for r in results if r.stats.calls_hung or r.stats.calls_failed or r.stats.malformed]
    for r in extra:
        print(
            f"  {r.server}: {r.stats.calls_failed} failed, {r.stats.calls_hung} hung, "
            f"{r.stats.malformed} malformed commands"
        )


def print_ratios(name: str, results: list[Result]) -> list[str]:
    ours = next((r for r in results if r.server == "ours"), None)
    peers = [r for r in results if r.server != "ours"]
    verdicts: list[str] = []
    if ours is None or not peers:
        return verdicts
    print(f"  ratios, ours / peer ({name}):")
    for p in peers:
        print(
            f"    vs {p.server:<10} calls/s x{ours.calls_per_s / p.calls_per_s:.2f}   "
            f"think p99 x{ours.think(99) / p.think(99):.2f}   "
            f"1st cmd p99 x{ours.first_p99 / p.first_p99:.2f}   "
            f"peak RSS x{ours.peak_kb / p.peak_kb:.2f}"
        )
    if name == "burst":
        best = max(peers, key=lambda r: r.calls_per_s)
        ok = ours.calls_per_s >= best.calls_per_s
        verdicts.append(
            f"burst calls/s >= best peer ({best.server}): "
            f"{'MET' if ok else 'MISSED'} ({ours.calls_per_s:.0f} vs "
            f"{best.calls_per_s:.0f})"
        )
    else:
        best = min(peers, key=lambda r: r.think(99))
        ok = ours.think(99) <= best.think(99)
        verdicts.append(
            f"storm think p99 <= best peer ({best.server}): "
            f"{'MET' if ok else 'MISSED'} ({ours.think(99):.2f} ms vs "
            f"{best.think(99):.2f} ms)"
        )
        verdicts.append(
            f"memory per concurrent call < 50 KB: "
            f"{'MET' if ours.per_call_kb < 50 else 'MISSED'} "
            f"({ours.per_call_kb:.1f} KB)"
        )
    complete = ours.rows == ours.stats.calls_started
    verdicts.append(
        f"{name}: every call logged: {'MET' if complete else 'MISSED'} "
        f"({ours.rows} rows for {ours.stats.calls_started} calls)"
    )
    return verdicts


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["burst", "storm", "both"], default="both")
    parser.add_argument(
        "--servers",
        default="ours,panoramisk,pyst2",
        help="comma-separated: ours, panoramisk, pyst2",
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
        help="our caller: not on record (the area-wide text), or on record (identified by "
        "caller ID and told their outage status; the registry and outages are seeded)",
    )
    args = parser.parse_args()

    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    chosen = ["burst", "storm"] if args.scenario == "both" else [args.scenario]
    print(f"machine: {machine()}")
    prepare_workdir()
    verdicts: list[str] = []
    for name in chosen:
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
            results.append(run_one(server, scenario, args.processes, args.db_url, args.journey))
            print(f"  {server}: done in {time.monotonic() - started:.1f} s", file=sys.stderr)
        print_table(results)
        verdicts += print_ratios(name, results)
    if verdicts:
        print("\ntargets:")
        for line in verdicts:
            print(f"  {line}")


if __name__ == "__main__":
    main()
