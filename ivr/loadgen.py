"""Load generator: Asterisk's side of FastAGI for many calls at once (``bench/storm.py``).

Each simulated call connects, writes the env block and answers every command the way
Asterisk would: ``ANSWER``/``SET VARIABLE``/``CHANNEL STATUS`` at once (the hand-back
``SET VARIABLE IVR`` split as the dialplan does, counted in ``Stats.handed_back``),
``STREAM FILE`` and ``WAIT FOR DIGIT`` after ``prompt_delay``/``input_delay`` seconds (the
prompt playing, the caller thinking), pressing scripted keys, and ``200 result=-1`` followed
by the unsolicited ``HANGUP`` line for a caller who hangs up. After a hang-up media commands
get ``511``.

Prompt durations can come from the real audio (``Scenario.audio_dir``): a ``STREAM FILE``
reply then waits for the WAV's length (read from its header), or until a scripted key
interrupts it (``key_after``). Calls can arrive in a Poisson stream (``arrival_rate``) instead
of a fixed pool of ``concurrency`` callers, and follow a weighted mix of journeys
(``journeys``), one of which may hang up at a random point.

It measures on the client side, per call: the time from connect to the first command, and
for every reply the **think time** until the server's next command (or its close). It is
built on ``asyncio.Protocol`` (no streams, no per-call tasks) so that one generator process
stays cheaper than the server it drives; ``run_load`` can spread the calls over several
processes. Only loopback addresses are accepted: this is a benchmark, not a flood tool.
"""

from __future__ import annotations

import asyncio
import ipaddress
import multiprocessing
import os
import random
import resource
import time
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ivr import handback
from ivr.agi.asterisk_args import split_command_line
from ivr.simulator import asterisk_env, env_block

#: Key script tokens: a DTMF key is pressed at the next prompt (if it is an escape digit;
#: otherwise Asterisk drops it) or wait; "-" lets a prompt play out or a wait time out;
#: "h" hangs up at the next prompt or wait; "H" lets every prompt play out and hangs up at the
#: next wait (a journey whose prompts vary in number). An exhausted script behaves like "-".
PLAY = "-"
HANGUP = "h"
HANGUP_AT_WAIT = "H"
DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"
_RESULTS = frozenset({"operator", "transfer", "redirect", "hangup"})
_DEAD_SAFE = ("SET", "GET", "EXEC", "DATABASE", "VERBOSE", "NOOP", "ASYNCAGI")
#: A well-formed command as our protocol layer writes it: a verb and quoted arguments.
MAX_COMMANDS = 500  # per call; a server that goes on longer is looping
_WELL_FORMED_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ ")


@dataclass(frozen=True)
class Journey:
    """One kind of caller in a mix: a key script and its share of the calls. With
    ``hangup_anywhere`` the caller follows ``keys`` but hangs up at a random media command
    among the first ``len(keys) + 1`` (at a random point of that prompt or wait)."""

    name: str
    weight: float
    keys: tuple[str, ...]
    hangup_anywhere: bool = False


@dataclass
class Scenario:
    name: str
    calls: int
    concurrency: int  # callers at once; with ``arrival_rate`` it only sizes the fd limit
    keys: tuple[str, ...]
    prompt_delay: float = 0.0
    input_delay: float = 0.0
    ramp: float = 0.0  # seconds over which the first ``concurrency`` calls start
    call_timeout: float = 120.0  # a call taking longer is aborted and counted as hung
    script: str = "ivr"
    check_commands: bool = True  # count command lines that are not verb + quoted arguments
    #: Calls per second arriving in a Poisson stream (exponential gaps); 0: a pool of
    #: ``concurrency`` callers, each starting its next call when one ends.
    arrival_rate: float = 0.0
    #: A weighted mix of journeys (each call draws one); empty: every call plays ``keys``.
    journeys: tuple[Journey, ...] = ()
    #: Prompt durations from the audio: ``STREAM FILE "<path>"`` plays ``<path>.wav`` (a
    #: relative path under this directory) for its length; "" or no such WAV: ``prompt_delay``.
    audio_dir: str = ""
    audio_scale: float = 1.0  # the WAV lengths times this (a shorter smoke test)
    #: A scripted key interrupts a prompt after this many seconds (or at its end if shorter).
    key_after: float = 1.5
    record: int = 0  # keep the command lines of the first ``record`` calls (``transcripts``)
    seed: int = 373  # the journey draws, arrival gaps and random hang-ups


@dataclass
class Stats:
    calls_started: int = 0
    calls_completed: int = 0  # the server ran the call and closed the connection
    calls_failed: int = 0  # refused, reset, or closed before any command
    calls_hung: int = 0  # aborted after ``call_timeout``
    commands: int = 0
    malformed: int = 0  # command lines that do not parse as a verb + quoted arguments
    handed_back: int = 0  # calls whose hand-back (``SET VARIABLE IVR``) held a known result
    think: list[float] = field(default_factory=list)  # reply -> next command (or close)
    first_command: list[float] = field(default_factory=list)  # connect -> first command
    wall: float = 0.0
    cpu: float = 0.0  # generator CPU seconds (user + system)
    active: int = 0  # calls connected right now
    peak_active: int = 0  # most calls connected at once (summed over generator processes)
    journeys: dict[str, int] = field(default_factory=dict)  # completed calls per journey
    transcripts: list[list[str]] = field(default_factory=list)  # see ``Scenario.record``

    def merge(self, other: Stats) -> None:
        for name in (
            "calls_started",
            "calls_completed",
            "calls_failed",
            "calls_hung",
            "commands",
            "malformed",
            "handed_back",
            "cpu",
            "peak_active",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for journey, count in other.journeys.items():
            self.journeys[journey] = self.journeys.get(journey, 0) + count
        self.transcripts.extend(other.transcripts)
        self.think.extend(other.think)
        self.first_command.extend(other.first_command)
        self.wall = max(self.wall, other.wall)


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def wav_seconds(path: str) -> float | None:
    """The length of a WAV file from its header, or None if it is not a readable WAV."""
    try:
        with wave.open(path, "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (OSError, EOFError, wave.Error):
        return None


class PromptDurations:
    """``STREAM FILE`` path (no extension, as Asterisk takes it) -> the WAV's seconds, read
    once per path; relative paths resolve under ``audio_dir``."""

    def __init__(self, audio_dir: str) -> None:
        self.audio_dir = audio_dir
        self._seconds: dict[str, float | None] = {}

    def __call__(self, path: str) -> float | None:
        try:
            return self._seconds[path]
        except KeyError:
            pass
        seconds = None
        if self.audio_dir and path:
            seconds = wav_seconds(os.path.join(self.audio_dir, path) + ".wav")
        self._seconds[path] = seconds
        return seconds


def journey_keys(journey: Journey, rng: random.Random) -> tuple[str, ...]:
    """The key script of one call of ``journey`` (a random hang-up point drawn if asked)."""
    if not journey.hangup_anywhere:
        return journey.keys
    at = rng.randrange(len(journey.keys) + 1)
    return (*journey.keys[:at], HANGUP)


def pick_journey(journeys: Sequence[Journey], rng: random.Random) -> Journey:
    return rng.choices(journeys, weights=[j.weight for j in journeys])[0]


def arrival_gaps(rate: float, rng: random.Random) -> Iterator[float]:
    """Seconds between Poisson arrivals at ``rate`` calls per second, for ever."""
    while True:
        yield rng.expovariate(rate)


def well_formed(line: bytes) -> bool:
    """A command line as ``ivr.agi.protocol.format_command`` writes it (verb + quoted args)."""
    if not line.endswith(b"\n") or b"\r" in line or len(line) > 8191:
        return False
    text = line[:-1].decode("utf-8", "replace")
    verb, _, rest = text.partition(' "')
    if not verb or not set(verb) <= _WELL_FORMED_CHARS or verb != verb.strip():
        return False
    if not rest:
        return True
    rest = '"' + rest
    i, n = 0, len(rest)
    while i < n:
        if rest[i] != '"':
            return False
        i += 1
        while i < n and rest[i] != '"':
            i += 2 if rest[i] == "\\" else 1
        if i >= n:
            return False
        i += 1
        if i < n:
            if rest[i] != " ":
                return False
            i += 1
            if i >= n:
                return False
    return True


class _Call(asyncio.Protocol):
    """One simulated caller; ``done`` resolves when the server closes the connection."""

    def __init__(
        self,
        scenario: Scenario,
        stats: Stats,
        env: bytes,
        check: bool,
        *,
        keys: Sequence[str] | None = None,
        durations: PromptDurations | None = None,
        rng: random.Random | None = None,
        transcript: list[str] | None = None,
    ) -> None:
        self.scenario = scenario
        self.stats = stats
        self.env = env
        self.check = check
        self.keys = list(reversed(scenario.keys if keys is None else keys))
        self.durations = durations
        self.rng = rng or random.Random(scenario.seed)
        self.transcript = transcript
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.connected_at = 0.0
        self.replied_at = 0.0  # 0: no reply outstanding
        self.commands = 0
        self.dead = False
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connected_at = time.perf_counter()
        self.transport.write(self.env)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        while b"\n" in self.buffer:
            line, _, self.buffer = self.buffer.partition(b"\n")
            self._command(line + b"\n", now)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.replied_at:
            self.stats.think.append(time.perf_counter() - self.replied_at)
        if not self.done.done():
            self.done.set_result(None)

    # -- Asterisk's side ---------------------------------------------------------------

    def _command(self, line: bytes, now: float) -> None:
        stats = self.stats
        if self.commands == 0:
            stats.first_command.append(now - self.connected_at)
        elif self.replied_at:
            stats.think.append(now - self.replied_at)
        self.replied_at = 0.0
        self.commands += 1
        stats.commands += 1
        if self.transcript is not None:
            self.transcript.append(line.decode("utf-8", "replace").rstrip("\n"))
        if self.check and not well_formed(line):
            stats.malformed += 1
        if self.commands > MAX_COMMANDS:
            self.transport.abort()  # type: ignore[union-attr]
            return
        args = split_command_line(line.decode("utf-8", "replace"))
        verb = args[0].upper() if args else ""
        second = args[1].upper() if len(args) > 1 else ""
        if self.dead and verb not in _DEAD_SAFE:
            self._reply(DEAD)
        elif verb == "ANSWER":
            self._reply(b"200 result=0\n")
        elif verb == "STREAM" and second == "FILE":
            delay = self.scenario.prompt_delay
            if self.durations is not None and len(args) > 2:
                seconds = self.durations(args[2])
                if seconds is not None:
                    delay = seconds * self.scenario.audio_scale
            self._media(args[3] if len(args) > 3 else "", delay, True)
        elif verb == "WAIT" and second == "FOR":
            self._media("", self.scenario.input_delay, False)
        elif verb == "SET" or verb in ("VERBOSE", "NOOP"):
            # the hand-back, split as the dialplan does: a known IVR_RESULT, all of it arrived
            if (
                second == "VARIABLE"
                and len(args) == 4
                and args[2] == handback.VARIABLE
                and handback.split(args[3])["IVR_RESULT"] in _RESULTS
            ):
                stats.handed_back += 1
            self._reply(b"200 result=1\n")
        elif verb == "CHANNEL":
            self._reply(b"200 result=6\n")
        elif verb == "GET":  # GET FULL VARIABLE ${QUEUE_WAITING_COUNT(...)}: an empty queue
            # (and no hold time: "0,0" when the expected wait is asked in the same command)
            figures = (args[3] if len(args) > 3 else "").count("},${") + 1
            self._reply(f"200 result=1 ({','.join('0' * figures)})\n".encode())
        elif verb == "HANGUP":
            self.dead = True
            self._reply(b"200 result=1\nHANGUP\n")
        else:
            self._reply(b"510 Invalid or unknown command\n")

    def _media(self, escape: str, delay: float, prompt: bool) -> None:
        token = self.keys.pop() if self.keys else PLAY
        if token == HANGUP_AT_WAIT and prompt:
            self.keys.append(token)  # kept for the wait; this prompt plays out
            token = PLAY
        audio = prompt and self.durations is not None
        if token in (HANGUP, HANGUP_AT_WAIT):
            self.dead = True
            reply = b"200 result=-1 endpos=0\nHANGUP\n"
            if audio or self.scenario.journeys:  # somewhere in the prompt or the wait
                delay *= self.rng.random()
        elif token != PLAY and (not prompt or token in escape):
            reply = b"200 result=%d%s\n" % (ord(token), b" endpos=4000" if prompt else b"")
            if audio:  # the key interrupts the prompt
                delay = min(delay, self.scenario.key_after)
        else:  # the prompt plays out (a key that is not an escape digit is lost) or timeout
            reply = b"200 result=0 endpos=8000\n" if prompt else b"200 result=0\n"
        if delay > 0:
            self.timer = self.loop.call_later(delay, self._reply, reply)
        else:
            self._reply(reply)

    def _reply(self, data: bytes) -> None:
        self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        self.replied_at = time.perf_counter()


def check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the load generator only targets loopback addresses, not {host}")


async def _one_call(
    host: str,
    port: int,
    scenario: Scenario,
    stats: Stats,
    number: int,
    check: bool,
    durations: PromptDurations | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(scenario.seed * 1_000_003 + number)
    journey = pick_journey(scenario.journeys, rng) if scenario.journeys else None
    keys = journey_keys(journey, rng) if journey else scenario.keys
    transcript: list[str] | None = None
    if len(stats.transcripts) < scenario.record:
        transcript = []
        stats.transcripts.append(transcript)
    env = asterisk_env(
        f"067{number % 10_000_000:07d}",
        "0800000373",
        unique_id=f"{time.time():.0f}.{number}",
        network=True,
        script=scenario.script,
    )
    call = _Call(
        scenario,
        stats,
        env_block(env),
        check,
        keys=keys,
        durations=durations,
        rng=rng,
        transcript=transcript,
    )
    stats.calls_started += 1
    stats.active += 1
    stats.peak_active = max(stats.peak_active, stats.active)
    try:
        try:
            transport, _ = await loop.create_connection(lambda: call, host, port)
        except OSError:
            stats.calls_failed += 1
            return
        try:
            async with asyncio.timeout(scenario.call_timeout):
                await call.done
        except TimeoutError:
            stats.calls_hung += 1
            transport.abort()
            return
        if call.commands:
            stats.calls_completed += 1
            if journey is not None:
                stats.journeys[journey.name] = stats.journeys.get(journey.name, 0) + 1
        else:
            stats.calls_failed += 1
    finally:
        stats.active -= 1


async def drive(host: str, port: int, scenario: Scenario, *, first_number: int = 0) -> Stats:
    """Run ``scenario.calls`` calls, ``scenario.concurrency`` at a time, in this process."""
    check_loopback(host)
    stats = Stats()
    numbers = iter(range(first_number, first_number + scenario.calls))
    started = time.perf_counter()
    cpu = time.process_time()

    durations = PromptDurations(scenario.audio_dir) if scenario.audio_dir else None
    check = scenario.check_commands

    async def worker(index: int) -> None:
        if scenario.ramp > 0:
            await asyncio.sleep(scenario.ramp * index / max(1, scenario.concurrency))
        for number in numbers:
            await _one_call(host, port, scenario, stats, number, check, durations)

    if scenario.arrival_rate > 0:
        loop = asyncio.get_running_loop()
        calls: set[asyncio.Task[None]] = set()
        gaps = arrival_gaps(scenario.arrival_rate, random.Random(scenario.seed + first_number))
        at = loop.time()
        for number in numbers:
            at += next(gaps)
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = loop.create_task(
                _one_call(host, port, scenario, stats, number, check, durations)
            )
            calls.add(task)
            task.add_done_callback(calls.discard)
        if calls:
            await asyncio.gather(*calls)
    else:
        conc = min(scenario.concurrency, scenario.calls)
        await asyncio.gather(*(worker(i) for i in range(conc)))
    stats.wall = time.perf_counter() - started
    stats.cpu = time.process_time() - cpu
    return stats


def _raise_nofile(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _process_main(
    host: str, port: int, scenario: Scenario, first_number: int, start_at: float, conn
) -> None:
    _raise_nofile(scenario.concurrency * 2 + 64)
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    stats = asyncio.run(drive(host, port, scenario, first_number=first_number))
    conn.send(stats)
    conn.close()


def split(scenario: Scenario, parts: int) -> list[Scenario]:
    """The scenario shared out between ``parts`` generator processes."""
    out = []
    for i in range(parts):
        calls = scenario.calls // parts + (1 if i < scenario.calls % parts else 0)
        conc = scenario.concurrency // parts + (1 if i < scenario.concurrency % parts else 0)
        if calls and conc:
            rate = scenario.arrival_rate * calls / max(1, scenario.calls)
            fields = {"calls": calls, "concurrency": conc, "arrival_rate": rate}
            if i:  # one process records the transcripts
                fields["record"] = 0
            out.append(Scenario(**{**scenario.__dict__, **fields}))
    return out


def run_load(
    host: str,
    port: int,
    scenario: Scenario,
    processes: int = 1,
    *,
    first_number: int = 0,
    start_at: float | None = None,
) -> Stats:
    """Run the scenario from ``processes`` generator processes and merge their figures
    (calling numbers from ``first_number`` on; starting at the wall-clock ``start_at``)."""
    check_loopback(host)
    ctx = multiprocessing.get_context("spawn")
    if start_at is None:
        start_at = time.time() + 0.5 + 0.3 * processes  # let every process import first
    jobs = []
    first = first_number
    for part in split(scenario, processes):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_process_main, args=(host, port, part, first, start_at, child), daemon=True
        )
        proc.start()
        child.close()
        jobs.append((proc, parent))
        first += part.calls
    total = Stats()
    arrivals = scenario.calls / scenario.arrival_rate if scenario.arrival_rate > 0 else 0.0
    deadline = time.monotonic() + scenario.call_timeout + scenario.calls * 0.05 + arrivals + 60
    for proc, conn in jobs:
        if conn.poll(max(1.0, deadline - time.monotonic())):
            total.merge(conn.recv())
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    return total
