"""Simulator for testers: plays Asterisk's side of the AGI byte protocol against the real flow.

``FakeAsterisk`` writes the env block, reads each command line, parses it the way res_agi.c
does and answers with the replies Asterisk would send (``200``, ``510``, ``520``, ``511``, the
``HANGUP`` line), pressing scripted keys when the flow plays a prompt or waits for a digit.
The built-in mode runs the call runner (``ivr.transport.runner``, as process AGI does) in a
thread over a socket pair; ``--fastagi`` drives a running server over TCP. Both produce the
same transcript.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from ivr import handback
from ivr.agi.asterisk_args import split_command_line
from ivr.agi.protocol import MAX_LINE
from ivr.agi.types import DEAD_SAFE_COMMANDS
from ivr.config import Config
from ivr.flow.call import TEST_ACCOUNTCODE, utcnow
from ivr.store.records import CallRecord

if TYPE_CHECKING:
    from ivr.audio.playable import AudioCatalogue

DTMF = "0123456789*#ABCD"
TIMEOUT_TOKEN = "t"
HANGUP_TOKEN = "h"
#: the caller listens to the prompt now playing to its end (the next key waits for it)
LISTEN_TOKEN = "w"

#: The order res_agi.c setup_env() writes the environment in.
ENV_ORDER = (
    "agi_request",
    "agi_channel",
    "agi_language",
    "agi_type",
    "agi_uniqueid",
    "agi_version",
    "agi_callerid",
    "agi_calleridname",
    "agi_callingpres",
    "agi_callingani2",
    "agi_callington",
    "agi_callingtns",
    "agi_dnid",
    "agi_rdnis",
    "agi_context",
    "agi_extension",
    "agi_priority",
    "agi_enhanced",
    "agi_accountcode",
    "agi_threadid",
)

DEAD_CHANNEL = "511 Command Not Permitted on a dead channel or intercept routine"
_sequence = itertools.count(1)


class KeyScriptError(ValueError):
    pass


def parse_keys(text: str) -> list[str]:
    """``"1 2 *"`` -> presses; ``t`` lets one wait time out; ``h`` hangs up at the next wait;
    ``w`` listens to the prompt then playing to its end (a key after it waits for it).

    A token of several keys (``"10"``) is pressed key by key.
    """
    tokens: list[str] = []
    for token in text.replace(",", " ").split():
        lowered = token.lower()
        if lowered in (TIMEOUT_TOKEN, HANGUP_TOKEN, LISTEN_TOKEN):
            tokens.append(lowered)
            continue
        for ch in token.upper():
            if ch not in DTMF:
                raise KeyScriptError(f"unknown key {ch!r} in {token!r}; use 0-9 * # t h w")
            tokens.append(ch)
    return tokens


class KeyScript:
    """Keys a simulated caller presses, in order."""

    def __init__(self, tokens: list[str], ask: Callable[[], str] | None = None) -> None:
        self.tokens = list(tokens)
        self.ask = ask  # interactive: called when the flow waits and no key is queued
        self.ran_out = False  # the flow waited for a key after the script's last one

    def hangup_now(self) -> bool:
        if self.tokens and self.tokens[0] == HANGUP_TOKEN:
            self.tokens.pop(0)
            return True
        return False

    def during_prompt(self, escape: str) -> str | None:
        """A queued key interrupts a prompt only if it is an escape digit (as in Asterisk);
        a queued ``w`` lets this prompt play to its end."""
        if self.tokens and self.tokens[0] == LISTEN_TOKEN:
            self.tokens.pop(0)
            return None
        if self.tokens and self.tokens[0] in DTMF and self.tokens[0] in escape:
            return self.tokens.pop(0)
        return None

    def on_wait(self) -> str | None:
        if not self.tokens and self.ask is not None:
            self.tokens.extend(parse_keys(self.ask()) or [TIMEOUT_TOKEN])
        if not self.tokens:
            self.ran_out = True
            return None
        while self.tokens and self.tokens[0] == LISTEN_TOKEN:  # nothing plays while waiting
            self.tokens.pop(0)
        if not self.tokens:
            self.ran_out = True
            return None
        token = self.tokens[0]
        if token == HANGUP_TOKEN:
            return None
        self.tokens.pop(0)
        return None if token == TIMEOUT_TOKEN else token


def asterisk_env(
    caller: str,
    dnid: str,
    *,
    unique_id: str | None = None,
    network: bool = False,
    script: str = "ivr",
    caller_name: str = "unknown",
    test: bool = True,
) -> dict[str, str]:
    """An env block as Asterisk 20 sends it for a SIP call entering the IVR; ``test`` marks
    it as a test call (account code ``ivr-test``), left out of reports."""
    unique_id = unique_id or f"{time.time():.6f}".replace(".", "") + f".{next(_sequence)}"
    request = f"agi://127.0.0.1/{script}" if network else "/usr/local/bin/ivr-agi"
    env = {
        "agi_request": request,
        "agi_channel": f"PJSIP/trunk-{next(_sequence):08x}",
        "agi_language": "uk",
        "agi_type": "PJSIP",
        "agi_uniqueid": unique_id,
        "agi_version": "20.5.0",
        "agi_callerid": caller or "unknown",
        "agi_calleridname": caller_name,
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": dnid or "unknown",
        "agi_rdnis": "unknown",
        "agi_context": "ivr-inbound",
        "agi_extension": dnid or "s",
        "agi_priority": "3",
        "agi_enhanced": "0.0",
        "agi_accountcode": TEST_ACCOUNTCODE if test else "",
        "agi_threadid": "140234567890",
    }
    if network:
        return {"agi_network": "yes", "agi_network_script": script, **env}
    return env


def env_block(env: dict[str, str]) -> bytes:
    head = [k for k in ("agi_network", "agi_network_script") if k in env]
    rest = [k for k in env if k not in head]
    lines = [f"{k}: {env[k]}\n" for k in head + rest]
    return ("".join(lines) + "\n").encode("utf-8")


@dataclass
class Transcript:
    env: dict[str, str]
    events: list[dict[str, object]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    record: CallRecord | None = None
    record_saved: bool = False
    record_problem: str | None = None  # why the record is not in the database

    def add(self, kind: str, **fields: object) -> None:
        self.events.append({"type": kind, **fields})


class FakeAsterisk:
    """Asterisk's side of one AGI session, driven by a key script."""

    def __init__(
        self,
        rfile: BinaryIO,
        wfile: BinaryIO,
        env: dict[str, str],
        keys: KeyScript,
        describe: Callable[[str], tuple[str, str] | None],
        *,
        hangup_after: int | None = None,
        on_event: Callable[[dict[str, object]], None] | None = None,
        queue_waiting: int = 0,
        queue_holdtime: int = 0,
    ) -> None:
        self.rfile = rfile
        self.queue_waiting = queue_waiting
        self.queue_holdtime = queue_holdtime
        self.wfile = wfile
        self.keys = keys
        self.describe = describe
        self.hangup_after = hangup_after
        self.network = env.get("agi_network") == "yes"
        self.transcript = Transcript(env=env)
        self.on_event = on_event
        self.dead = False
        self.commands = 0

    def _event(self, kind: str, **fields: object) -> None:
        self.transcript.add(kind, **fields)
        if self.on_event:
            self.on_event(self.transcript.events[-1])

    def _send(self, *lines: str) -> None:
        try:
            self.wfile.write("".join(line + "\n" for line in lines).encode("utf-8"))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def run(self) -> Transcript:
        self._event(
            "call",
            caller=self.transcript.env.get("agi_callerid", ""),
            dialled=self.transcript.env.get("agi_dnid", ""),
        )
        self.wfile.write(env_block(self.transcript.env))
        self.wfile.flush()
        while True:
            try:
                raw = self.rfile.readline(MAX_LINE + 1)
            except (ConnectionResetError, OSError):
                raw = b""
            if not raw:
                self._event("end")
                return self.transcript
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.commands += 1
            self._answer(line)

    def _hang_up(self) -> None:
        """The caller hangs up: Asterisk answers the running command with -1, then signals."""
        self.dead = True
        self._event("hangup", by="caller")
        self._send("200 result=-1 endpos=0")
        if self.network:
            self._send("HANGUP")

    def _answer(self, line: str) -> None:
        args = split_command_line(line)
        words = [a.upper() for a in args[:3]]
        due = self.hangup_after is not None and self.commands > self.hangup_after
        media = not any(words[: len(name.split())] == name.split() for name in DEAD_SAFE_COMMANDS)
        if media and self.dead:
            self._send(DEAD_CHANNEL)
            return
        waits = words[:2] in (["WAIT", "FOR"], ["GET", "DATA"])
        if media and not self.dead and (due or waits and self.keys.hangup_now()):
            self._hang_up()
            return
        if words[:1] == ["ANSWER"]:
            self._event("answer")
            self._send("200 result=0")
        elif words[:2] == ["STREAM", "FILE"]:
            self._stream_file(args)
        elif words[:3] == ["WAIT", "FOR", "DIGIT"]:
            self._wait_for_digit(args)
        elif words[:2] == ["CHANNEL", "STATUS"]:
            self._send("200 result=6")  # AST_STATE_UP
        elif words[:2] == ["SET", "VARIABLE"]:
            if len(args) != 4:
                self._usage("SET VARIABLE <variablename> <value>")
                return
            self.transcript.variables[args[2]] = args[3]
            if args[2] == handback.VARIABLE:  # the dialplan's CUT()s right after the AGI
                self.transcript.variables.update(handback.split(args[3]))
            self._event("set", name=args[2], value=args[3])
            self._send("200 result=1")
        elif words[:2] == ["GET", "VARIABLE"]:
            value = self.transcript.variables.get(args[2] if len(args) > 2 else "")
            self._send(f"200 result=1 ({value})" if value is not None else "200 result=0")
        elif words[:3] == ["GET", "FULL", "VARIABLE"]:
            value = self._evaluate(args[3] if len(args) > 3 else "")
            self._send(f"200 result=1 ({value})" if value is not None else "200 result=0")
        elif words[:1] in (["VERBOSE"], ["NOOP"]):
            self._send("200 result=1")
        elif words[:1] == ["HANGUP"]:
            self.dead = True
            self._event("hangup", by="ivr")
            self._send("200 result=1")
        else:
            self._event("error", command=line, reply="510")
            self._send("510 Invalid or unknown command")

    def _evaluate(self, expression: str) -> str | None:
        """The dialplan expressions the IVR asks for, substituted left to right as Asterisk
        does: ``${QUEUE_WAITING_COUNT(q)}`` (the simulated queue), ``${QUEUE_VARIABLES(q)}``
        (sets QUEUEHOLDTIME: queues.conf's ``setqueuevar = yes``; ``:0:0`` says nothing),
        ``${QUEUEHOLDTIME}`` once set, and ``${NAME}`` (a channel variable), with text
        between them ("${A},${B}"); None when any part is something else."""
        channel = dict(self.transcript.variables)
        unknown = False

        def value(match: re.Match[str]) -> str:
            nonlocal unknown
            inner = match.group(1)
            if re.fullmatch(r"QUEUE_WAITING_COUNT\([^()]*\)", inner):
                return str(self.queue_waiting)
            if re.fullmatch(r"QUEUE_VARIABLES\([^()]*\)(:0:0)?", inner):
                channel["QUEUEHOLDTIME"] = str(self.queue_holdtime)
                channel["QUEUECALLS"] = str(self.queue_waiting)
                return "" if inner.endswith(":0:0") else "0"
            if re.fullmatch(r"\w+", inner) and inner in channel:
                return channel[inner]
            unknown = True
            return ""

        result = re.sub(r"\$\{([^{}]*)\}", value, expression)
        return None if unknown or "${" in result else result

    def _usage(self, usage: str) -> None:
        self._event("error", reply="520", usage=usage)
        self._send(
            "520-Invalid command syntax.  Proper usage follows:",
            f" Usage: {usage}",
            "520 End of proper usage.",
        )

    def _stream_file(self, args: list[str]) -> None:
        if len(args) not in (4, 5):
            self._usage("STREAM FILE <filename> <escape_digits> [sample offset]")
            return
        filename, escape = args[2], args[3]
        described = self.describe(filename)
        if described is None:
            self._event("missing_prompt", file=filename)
            self._send("200 result=-1 endpos=0")
            return
        prompt_id, text = described
        key = self.keys.during_prompt(escape)
        length = max(800, len(text) * 800)  # samples at 8 kHz, about ten characters a second
        self._event("prompt", id=prompt_id, text=text, interrupted_by=key)
        if key is None:
            self._send(f"200 result=0 endpos={length}")
        else:
            self._send(f"200 result={ord(key)} endpos={length // 3}")

    def _wait_for_digit(self, args: list[str]) -> None:
        if len(args) != 4:
            self._usage("WAIT FOR DIGIT <timeout>")
            return
        ran_out = self.keys.ran_out
        key = self.keys.on_wait()
        if self.keys.ran_out and not ran_out:
            self._event("keys_ran_out")
        if key is None:
            self._event("timeout", ms=args[3])
            self._send("200 result=0")
        else:
            self._event("key", key=key)
            self._send(f"200 result={ord(key)}")


def prompt_describer(config: Config) -> Callable[[str], tuple[str, str] | None]:
    """Map a STREAM FILE argument back to the prompt id and its Ukrainian text."""
    texts = config.prompts.texts
    files = {config.prompts.file_for(pid): (pid, text) for pid, text in texts.items()}
    files.update(fragment_files(config))
    return files.get


def fragment_files(config: Config) -> dict[str, tuple[str, str]]:
    """Speech fragments (numbers, times, appeal numbers): file -> (id, spoken text)."""
    from ivr.speech.fragments import CatalogueError, catalogue

    try:
        fragments = catalogue(config.prompts.language)
    except CatalogueError:
        return {}
    return {config.prompts.file_for(f.id): (f.id, f.text or "…") for f in fragments.values()}


def call_clock(at: str | None, tz: str) -> Callable[[], datetime]:
    """A simulated call's clock: now, or the moment ``at`` (company time unless it has an
    offset) moving on in real time from then; ValueError for a moment that is none."""
    from ivr.outages.moments import parse_moment

    if at is None:
        return utcnow
    start = parse_moment(at, tz)
    began = utcnow()
    return lambda: start + (utcnow() - began)


def simulate_builtin(
    config: Config,
    recorder,
    env: dict[str, str],
    keys: KeyScript,
    *,
    hangup_after: int | None = None,
    on_event: Callable[[dict[str, object]], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
    audio: AudioCatalogue | None = None,
    queue_waiting: int = 0,
    queue_holdtime: int = 0,
) -> Transcript:
    """Run the real flow (the call runner, as process AGI) in a thread against a fake
    Asterisk; ``audio``: what is playable (default: the audio build of the config's sounds
    directory, as a server would read it)."""
    from ivr.agi.sync_session import PystAgi  # pyst2 is only needed here
    from ivr.transport.provider import Snapshot
    from ivr.transport.runner import run_call

    snapshot = Snapshot.of(config, audio)

    ours, theirs = socket.socketpair()
    ours.settimeout(60)
    theirs.settimeout(60)
    outcome: dict[str, object] = {}

    def ivr_side() -> None:
        rfile, wfile = ours.makefile("rb"), ours.makefile("wb")
        try:
            session = PystAgi(rfile, wfile, handle_sighup=False)
            outcome["record"] = run_call(snapshot, session, recorder, "simulator", clock)
        except BaseException as exc:  # reported in the transcript
            outcome["error"] = exc
        finally:
            for f in (wfile, rfile):
                with contextlib.suppress(OSError):
                    f.close()
            ours.close()

    thread = threading.Thread(target=ivr_side, name="ivr-simulated-call", daemon=True)
    thread.start()
    try:
        fake = FakeAsterisk(
            theirs.makefile("rb"),
            theirs.makefile("wb"),
            env,
            keys,
            prompt_describer(config),
            hangup_after=hangup_after,
            on_event=on_event,
            queue_waiting=queue_waiting,
            queue_holdtime=queue_holdtime,
        )
        transcript = fake.run()
    finally:
        theirs.close()
        thread.join(timeout=30)
    if "error" in outcome:
        transcript.add("error", reply="ivr crashed", detail=repr(outcome["error"]))
    record = outcome.get("record")
    if isinstance(record, CallRecord):
        transcript.record = record
        try:
            transcript.record_saved = recorder.repository.get_call(record.call_uid) is not None
        except Exception as exc:  # the database is unusable: the recorder has reported it
            transcript.record_saved = False
            transcript.record_problem = str(exc).splitlines()[0] if str(exc) else repr(exc)
        if not transcript.record_saved:
            transcript.record_problem = (
                getattr(recorder, "last_problem", None) or transcript.record_problem
            )
    return transcript


def simulate_fastagi(
    address: tuple[str, int],
    env: dict[str, str],
    keys: KeyScript,
    describe: Callable[[str], tuple[str, str] | None],
    *,
    repository=None,
    hangup_after: int | None = None,
    on_event: Callable[[dict[str, object]], None] | None = None,
    record_wait: float = 5.0,
) -> Transcript:
    """Drive a running FastAGI server over TCP, exactly as Asterisk would."""
    with socket.create_connection(address, timeout=60) as sock:
        fake = FakeAsterisk(
            sock.makefile("rb"),
            sock.makefile("wb"),
            env,
            keys,
            describe,
            hangup_after=hangup_after,
            on_event=on_event,
        )
        transcript = fake.run()
    if repository is None:
        transcript.record_problem = "no database to look in"
        return transcript
    deadline = time.monotonic() + record_wait
    while time.monotonic() < deadline:
        try:
            record = repository.find_by_unique_id(env["agi_uniqueid"])
        except Exception as exc:  # no schema, unreachable: say where we looked and why
            transcript.record_problem = str(exc).strip().splitlines()[0]
            break
        if record is not None:
            transcript.record, transcript.record_saved = record, True
            break
        time.sleep(0.05)
    else:
        transcript.record_problem = f"not in the database within {record_wait:g} s"
    return transcript
