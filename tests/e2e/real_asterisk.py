"""A real Asterisk for end-to-end tests: configs in a temporary directory, Local-channel callers.

Nothing touches /etc or /var: every directory but the module directory points into the test's
own directory, so runs never share state. The shipped ``dialplan/extensions_ivr.conf`` is
included unchanged; the test contexts around it play the trunk (``e2e-in``: caller ID and
dialled number, then ``ivr-inbound``), the caller (``e2e-caller``: waits, DTMF and hang-up
from a script), the operators (``e2e-agent``: answers, logs what it inherited, talks) and the
other company (``e2e-company``). Per-call parameters travel in AstDB, one key per call.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import time
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Where ../shared/asterisk/install.sh puts the shared build (IVR_TEST_ASTERISK_SHARED moves it).
SHARED_BUILD = Path("/opt/astlab/install/sbin/asterisk")
INSTALL_HINT = (
    "no Asterisk found: install the shared build with `bash ../shared/asterisk/install.sh` "
    "(root; it lands in /opt/astlab/install), put `asterisk` on PATH, or set "
    "IVR_TEST_ASTERISK=/path/to/asterisk"
)
#: Fields of one call's AstDB value, in order (joined with ``~``).
CALL_FIELDS = ("caller", "dnid", "agi", "steps", "talk", "maxcall", "company")


def find_asterisk() -> Path | None:
    """``IVR_TEST_ASTERISK``, then ``asterisk`` on PATH, then the shared build."""
    explicit = os.environ.get("IVR_TEST_ASTERISK")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise FileNotFoundError(f"IVR_TEST_ASTERISK={explicit} is not an executable")
        return Path(explicit)
    on_path = shutil.which("asterisk")
    if on_path:
        return Path(on_path)
    shared = Path(os.environ.get("IVR_TEST_ASTERISK_SHARED") or SHARED_BUILD)
    return shared if shared.exists() else None


def _install_dir(
    binary: Path, variable: str, what: str, candidates: Iterable[Path], holds: str | None = None
) -> Path:
    """A directory of the binary's installation: ``$variable``, else the first candidate that
    exists (and contains ``holds``)."""
    explicit = os.environ.get(variable)
    if explicit:
        return Path(explicit)
    for candidate in candidates:
        if (candidate / holds if holds else candidate).is_dir():
            return candidate
    raise FileNotFoundError(f"no {what} directory for {binary}; set {variable}")


def module_dir(binary: Path) -> Path:
    """Where the binary's modules live (``IVR_TEST_ASTERISK_MODULES`` overrides)."""
    prefix = binary.resolve().parent.parent
    return _install_dir(
        binary,
        "IVR_TEST_ASTERISK_MODULES",
        "module",
        [
            prefix / "lib" / "asterisk" / "modules",
            prefix / "lib64" / "asterisk" / "modules",
            *prefix.glob("lib/*-linux-gnu/asterisk/modules"),
        ],
    )


def data_dir(binary: Path) -> Path:
    """The binary's data directory (read only: its XML documentation must be found)."""
    prefix = binary.resolve().parent.parent
    return _install_dir(
        binary,
        "IVR_TEST_ASTERISK_DATA",
        "data",
        [
            prefix / "var" / "lib" / "asterisk",
            prefix / "share" / "asterisk",
            Path("/usr/share/asterisk"),
            Path("/var/lib/asterisk"),
        ],
        holds="documentation",
    )


@dataclass(frozen=True)
class Queue:
    name: str
    members: int = 1  # Local operators that answer


TEST_CONTEXTS = r"""
; -- end-to-end test contexts (tests/e2e/asterisk.py) ----------------------------------------
; The trunk: caller ID and dialled number as a real trunk delivers them, then the IVR.
[e2e-in]
exten => _X.,1,Set(P=${DB(e2e/${EXTEN})})
 same => n,Set(__E2E_CALL=${EXTEN})
 same => n,Set(__E2E_TALK=${CUT(P,~,5)})
 same => n,Set(CALLERID(num)=${CUT(P,~,1)})
 same => n,Set(CALLERID(name)=E2E ${EXTEN})
 ; a test trunk marks its calls: recorded, but left out of reports
 same => n,Set(CHANNEL(accountcode)=ivr-test)
 same => n,Set(CALLERID(dnid)=${CUT(P,~,2)})
 same => n,Set(__E2E_COMPANY=${CUT(P,~,7)})
 same => n,GotoIf($["${CUT(P,~,3)}" = ""]?+2)
 same => n,Set(IVR_AGI=${CUT(P,~,3)})
 same => n,GotoIf($["${CUT(P,~,6)}" = ""]?+2)
 same => n,Set(IVR_MAX_CALL=${CUT(P,~,6)})
 same => n,Goto(ivr-inbound,${CUT(P,~,2)},1)

; The caller: a script of steps separated by '|': wNNN waits NNN ms, dKEYS sends DTMF,
; kKEY/MS/N presses KEY every MS ms N times, h hangs up. When the script ends the caller
; stays on the line (an operator may talk).
[e2e-caller]
exten => _X.,1,Set(STEPS=${CUT(DB(e2e/${EXTEN}),~,4)})
 same => n,Set(I=1)
 same => n(next),Set(STEP=${CUT(STEPS,|,${I})})
 same => n,Set(I=$[${I} + 1])
 same => n,GotoIf($["${STEP}" = ""]?stay)
 same => n,GotoIf($["${STEP}" = "h"]?bye)
 same => n,GotoIf($["${STEP:0:1}" = "k"]?keys)
 same => n,GotoIf($["${STEP:0:1}" = "w"]?wait)
 same => n,ExecIf($["${STEP:0:1}" = "d"]?SendDTMF(${STEP:1},150))
 same => n,Goto(next)
 ; ExecIf substitutes its application's arguments even when false: a wait of its own, so that
 ; "d2010000003#" is never read as a number
 same => n(wait),Wait($[${STEP:1} / 1000.0])
 same => n,Goto(next)
 same => n(keys),Set(K=${STEP:1})
 same => n,Set(N=0)
 same => n(key),SendDTMF(${CUT(K,/,1)},150)
 same => n,Wait($[${CUT(K,/,2)} / 1000.0])
 same => n,Set(N=$[${N} + 1])
 same => n,GotoIf($[${N} < ${CUT(K,/,3)}]?key:next)
 same => n(stay),Wait(900)
 same => n(bye),Verbose(0,E2E caller ${EXTEN} hangs up)
 same => n,Hangup()

; An operator: answers, shows what the IVR handed over, talks ${E2E_TALK} s, hangs up.
[e2e-agent]
exten => agent,1,Answer()
 same => n,Verbose(0,E2E agent answered call=${E2E_CALL} topic=${IVR_TOPIC} appeal=${IVR_APPEAL_ID})
 same => n,Wait(${IF($["${E2E_TALK}" = ""]?2:${E2E_TALK})})
 same => n,Verbose(0,E2E agent hangs up call=${E2E_CALL})
 same => n,Hangup()

; The other company (transfer and redirect targets, dialled through IVR_TRUNK_*): answers
; and talks, or (company field "busy") is congested.
[e2e-company]
exten => _X.,1,GotoIf($["${E2E_COMPANY}" = "busy"]?busy)
 same => n,Answer()
 same => n,Verbose(0,E2E company ${EXTEN} answered call=${E2E_CALL})
 same => n,Wait(${IF($["${E2E_TALK}" = ""]?2:${E2E_TALK})})
 same => n,Hangup()
 same => n(busy),Verbose(0,E2E company ${EXTEN} busy call=${E2E_CALL})
 same => n,Congestion(1)
"""


INDICATIONS = """[general]
country = ua
[ua]
description = Ukraine
ringcadence = 1000,4000
dial = 425
busy = 425/350,0/350
ring = 425/1000,0/4000
congestion = 425/175,0/175
callwaiting = 425/200,0/5000
record = 1400/400,0/15000
info = 950/330,1400/330,1800/330,0/1000
"""


#: Asterisk's call id in a log line (``[C-0000001a]``), shared by a channel's own lines.
CALL_TAG = re.compile(r"\[C-[0-9a-f]{8}\]")


@dataclass
class PlacedCall:
    """One simulated caller: its id (the Local channel's extension) and what it was given."""

    id: str
    caller: str
    dnid: str
    steps: str
    placed_at: float

    @property
    def channel_prefix(self) -> str:
        return f"Local/{self.id}@e2e-in-"


@dataclass
class Asterisk:
    binary: Path
    workdir: Path
    dialplan: Path
    queues: Sequence[Queue] = ()
    globals_: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    _next_id: int = 7000

    # -- configuration -----------------------------------------------------------------

    @property
    def etc(self) -> Path:
        return self.workdir / "etc"

    @property
    def logdir(self) -> Path:
        return self.workdir / "log"

    @property
    def conf(self) -> Path:
        return self.etc / "asterisk.conf"

    def write_configs(self) -> None:
        w = self.workdir
        for sub in (
            "etc",
            "log",
            "log/cdr-csv",
            "run",
            "lib",
            "db",
            "keys/keys",
            "agi-bin",
            "spool",
            "moh",
            "cache",
        ):
            (w / sub).mkdir(parents=True, exist_ok=True)
        files = {
            "asterisk.conf": f"""[directories]
astetcdir => {self.etc}
astmoddir => {module_dir(self.binary)}
astvarlibdir => {w / "lib"}
astdbdir => {w / "db"}
astkeydir => {w / "keys"}
astdatadir => {data_dir(self.binary)}
astagidir => {w / "agi-bin"}
astspooldir => {w / "spool"}
astrundir => {w / "run"}
astlogdir => {self.logdir}
astcachedir => {w / "cache"}
astsbindir => {self.binary.parent}
[options]
verbose = 5
debug = 0
timestamp = yes
maxcalls = 500
""",
            "modules.conf": "[modules]\nautoload = yes\nnoload => res_timing_pthread.so\n",
            "logger.conf": "[general]\ndateformat = %F %T.%3q\nqueue_log = yes\n"
            "[logfiles]\nfull => notice,warning,error,verbose,dtmf\n",
            "cdr.conf": "[general]\nenable = yes\nunanswered = yes\n[csv]\nusegmtime = yes\n"
            "loguniqueid = yes\nloguserfield = yes\naccountlogs = no\n",
            "cel.conf": "[general]\nenable = no\n",
            "musiconhold.conf": f"[default]\nmode = files\ndirectory = {w / 'moh'}\n",
            "queues.conf": self._queues_conf(),
            "extensions.conf": "[general]\nstatic = yes\nwriteprotect = yes\n"
            "clearglobalvars = no\n\n"
            f'#include "{self.dialplan}"\n' + TEST_CONTEXTS,
        }
        files["indications.conf"] = INDICATIONS
        for name in ("ccss.conf", "features.conf", "udptl.conf"):
            files[name] = "[general]\n"
        files["acl.conf"] = "; no ACLs\n"
        for name, text in files.items():
            (self.etc / name).write_text(text, encoding="utf-8")
        silence(w / "moh" / "hold.wav", seconds=2.0)

    def _queues_conf(self) -> str:
        parts = ["[general]\npersistentmembers = no\n"]
        for queue in self.queues:
            members = "".join(
                f"member => Local/agent@e2e-agent/n,0,Operator {i}\n"
                for i in range(1, queue.members + 1)
            )
            parts.append(
                f"[{queue.name}]\nstrategy = ringall\ntimeout = 15\nretry = 1\n"
                "ringinuse = yes\njoinempty = yes\nleavewhenempty = no\n"
                # QUEUE_VARIABLES sets QUEUEHOLDTIME (operator.expected_wait's default)
                "setqueuevar = yes\n"
                f"musicclass = default\n{members}"
            )
        return "\n".join(parts)

    # -- running -----------------------------------------------------------------------

    def start(self) -> None:
        self.write_configs()
        out = open(self.logdir / "stdout.log", "wb")  # noqa: SIM115
        err = open(self.logdir / "stderr.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(self.binary), "-f", "-n", "-C", str(self.conf)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=self.workdir,
        )
        out.close()
        err.close()
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"Asterisk exited with {self.proc.returncode}:\n" + self.stderr_text()[-3000:]
                )
            result = self._rx("core waitfullybooted", timeout=10, check=False)
            if result.returncode == 0 and "fully booted" in result.stdout.lower():
                break
            if time.monotonic() > deadline:
                raise RuntimeError("Asterisk did not boot in 30 s:\n" + self.full_log()[-3000:])
            time.sleep(0.2)
        for name, value in self.globals_.items():
            self.cli(f"dialplan set global {name} {value}")
        self.cli("agi set debug on")

    def _rx(self, command: str, timeout: float = 15, check: bool = True):
        return subprocess.run(
            [str(self.binary), "-C", str(self.conf), "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def cli(self, command: str) -> str:
        return self._rx(command).stdout

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self._rx("core stop now", check=False)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    # -- callers -----------------------------------------------------------------------

    def place(
        self,
        steps: str,
        caller: str = "0441234567",
        dnid: str = "0800000373",
        agi: str = "",
        talk: float = 2,
        max_call: str = "",
        company: str = "answer",
    ) -> PlacedCall:
        """Originate one caller; ``steps`` like ``"w3000 d1 k9/1000/5 w20000 h"``."""
        self._next_id += 1
        call_id = str(self._next_id)
        script = "|".join(steps.split())
        value = "~".join([caller, dnid, agi, script, f"{talk:g}", max_call, company])
        answer = self.cli(f'database put e2e {call_id} "{value}"')
        if "success" not in answer.lower():
            raise RuntimeError(f"AstDB refused the call script: {answer!r}")
        self.cli(f"channel originate Local/{call_id}@e2e-in/n extension {call_id}@e2e-caller")
        return PlacedCall(call_id, caller, dnid, script, time.monotonic())

    def channels(self) -> list[str]:
        text = self.cli("core show channels concise")
        return [line.split("!", 1)[0] for line in text.splitlines() if "!" in line]

    def wait_gone(self, calls: Iterable[PlacedCall], timeout: float = 120) -> None:
        """Wait until no channel of these calls is left (both Local halves and operators)."""
        calls = list(calls)
        deadline = time.monotonic() + timeout
        while True:
            left = [
                c
                for c in self.channels()
                if any(c.startswith(f"Local/{call.id}@") for call in calls)
            ]
            if not left:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"channels still up after {timeout} s: {left}")
            time.sleep(0.25)

    def wait_for_log(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.full_log())
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in the Asterisk log")
            time.sleep(0.2)

    # -- what Asterisk wrote -----------------------------------------------------------

    def full_log(self) -> str:
        path = self.logdir / "full"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stderr_text(self) -> str:
        path = self.logdir / "stderr.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def call_log(self, call: PlacedCall) -> list[str]:
        """Every log line of this call's channels (both Local halves, its operator)."""
        needle = f"Local/{call.id}@"
        marker = f"call={call.id}"
        lines = self.full_log().splitlines()
        tags = {
            match.group(0)
            for line in lines
            if needle in line
            for match in [CALL_TAG.search(line)]
            if match
        }
        return [
            line
            for line in lines
            if needle in line
            or marker in line
            or (match := CALL_TAG.search(line)) is not None
            and match.group(0) in tags
        ]

    def queue_log(self) -> list[list[str]]:
        path = self.logdir / "queue_log"
        if not path.exists():
            return []
        return [line.split("|") for line in path.read_text(encoding="utf-8").splitlines()]

    def cdr(self) -> list[dict[str, str]]:
        path = self.logdir / "cdr-csv" / "Master.csv"
        if not path.exists():
            return []
        names = [
            "accountcode",
            "src",
            "dst",
            "dcontext",
            "clid",
            "channel",
            "dstchannel",
            "lastapp",
            "lastdata",
            "start",
            "answer",
            "end",
            "duration",
            "billsec",
            "disposition",
            "amaflags",
            "uniqueid",
            "userfield",
        ]
        with path.open(encoding="utf-8", newline="") as stream:
            return [dict(zip(names, row, strict=False)) for row in csv.reader(stream)]


def silence(path: Path, seconds: float) -> None:
    """A WAV of silence (8 kHz, 16-bit mono) for music on hold."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as data:
        return data.getnframes() / data.getframerate()


STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]")


def stamp(line: str) -> float:
    """Seconds (epoch) of a log line's ``[YYYY-MM-DD HH:MM:SS.mmm]`` stamp."""
    match = STAMP.match(line)
    if not match:
        raise ValueError(f"no time stamp in {line!r}")
    return (
        time.mktime(time.strptime(match.group(1)[:19], "%Y-%m-%d %H:%M:%S"))
        + int(match.group(1)[20:]) / 1000
    )


@dataclass
class CallReport:
    """What Asterisk shows of one call after it ended."""

    call: PlacedCall
    lines: list[str]
    queue_events: list[list[str]]
    cdr: list[dict[str, str]]

    @property
    def ivr_channel(self) -> str:
        pattern = re.compile(rf"Local/{self.call.id}@e2e-in-[0-9a-f]+;2")
        return next(match.group(0) for line in self.lines if (match := pattern.search(line)))

    @property
    def unique_id(self) -> str:
        return next(
            line.split("agi_uniqueid: ", 1)[1].strip()
            for line in self.lines
            if "agi_uniqueid: " in line
        )

    def agi(self, direction: str) -> list[str]:
        """The AGI lines sent by the IVR (``"Rx"``) or by Asterisk (``"Tx"``), in order."""
        marker = "AGI Rx << " if direction == "Rx" else "AGI Tx >> "
        return [line.split(marker, 1)[1] for line in self.lines if marker in line]

    def streamed(self) -> list[str]:
        """The prompt and fragment ids the IVR streamed, in order."""
        files = []
        for cmd, _reply in self.exchanges():
            match = re.search(r'STREAM FILE "?[^ "]*/prompts/uk/([^ "]+)"?', cmd)
            if match:
                files.append(match.group(1))
        return files

    def exchanges(self) -> list[tuple[str, str]]:
        """(command, reply) pairs after the env block."""
        pairs: list[tuple[str, str]] = []
        pending: str | None = None
        for line in self.lines:
            if "AGI Rx << " in line:
                pending = line.split("AGI Rx << ", 1)[1]
            elif "AGI Tx >> " in line and pending is not None:
                pairs.append((pending, line.split("AGI Tx >> ", 1)[1]))
                pending = None
        return pairs

    @property
    def branches(self) -> list[str]:
        """The ``ivr-result`` extensions the call went through, in order."""
        found = []
        for line in self.lines:
            match = re.search(r"Executing \[(\w+)@ivr-result:1\]", line)
            if match:
                found.append(match.group(1))
        return found

    def agent(self) -> dict[str, str] | None:
        """What the operator's channel inherited (topic, appeal), when an operator answered."""
        for line in self.lines:
            match = re.search(
                r"app_verbose\.c: E2E agent answered call=\S+ topic=(\S*) "
                r"appeal=(\S*)",
                line,
            )
            if match:
                return {"topic": match.group(1), "appeal": match.group(2)}
        return None

    def company_answered(self) -> str | None:
        for line in self.lines:
            match = re.search(r"app_verbose\.c: E2E company (\d+) answered", line)
            if match:
                return match.group(1)
        return None

    def time_of(self, needle: str) -> float:
        return stamp(next(line for line in self.lines if needle in line))

    def problems(self) -> list[str]:
        return [line for line in self.lines if re.search(r"\] (WARNING|ERROR)\[", line)]

    @property
    def ivr_cdr(self) -> dict[str, str]:
        """The CDR of the IVR's channel (the ``;2`` half that ran the dialplan)."""
        rows = [row for row in self.cdr if row["channel"] == self.ivr_channel]
        assert rows, f"no CDR for {self.ivr_channel}: {self.cdr}"
        return rows[-1]


def report(asterisk: Asterisk, call: PlacedCall) -> CallReport:
    lines = asterisk.call_log(call)
    unique_ids = {
        line.split("agi_uniqueid: ", 1)[1].strip() for line in lines if "agi_uniqueid: " in line
    }
    return CallReport(
        call,
        lines,
        [row for row in asterisk.queue_log() if len(row) > 1 and row[1] in unique_ids],
        asterisk.cdr(),
    )
