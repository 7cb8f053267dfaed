"""How long a FastAGI call lasts after the caller hangs up, under the real Asterisk.

Starts the real Asterisk (``tests/e2e/real_asterisk.py``: its own configs in a temporary
directory, the shipped dialplan, Local-channel callers) and ``ivr serve`` with the shipped
``config.yaml``, places N calls that hang up during the welcome prompt, and reads each call's
AGI exchange from Asterisk's log (``agi set debug on``, timestamps in ms). Per call it prints
the commands after the hang-up and the gaps: from ``200 result=-1`` (the interrupted STREAM
FILE) to the ``HANGUP`` line, to Asterisk's last reply, and to the end of the AGI.

    python bench/hangup_latency.py --calls 10                 # the server as it ships
    python bench/hangup_latency.py --calls 10 --tuning off    # without tune_agi_socket()
    python bench/hangup_latency.py --calls 10 --transport agi # process AGI (SIGHUP, pipes)

Share the machine politely: run it under ``flock /tmp/e2e.lock`` like the end-to-end tests.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench"), str(ROOT)]

from e2e.real_asterisk import Asterisk, Queue, find_asterisk, report, stamp  # noqa: E402
from serve_process import ServeProcess  # noqa: E402

#: ``ivr serve`` with parts of the socket tuning replaced by no-ops: ``off`` none of it (the
#: "before" of item 5), ``once`` TCP_NODELAY and TCP_QUICKACK at accept but not re-armed
#: after each command, ``nodelay`` TCP_NODELAY only.
PATCHES = {
    "off": "s.tune_agi_socket = lambda sock: None; s.rearm_quickack = lambda sock: None",
    "once": "q, t = s.rearm_quickack, s.tune_agi_socket; s.rearm_quickack = lambda sock: None; "
    "s.tune_agi_socket = lambda sock: (t(sock), q(sock))",
    "nodelay": "s.rearm_quickack = lambda sock: None",
}


def patched_serve(patch: str) -> str:
    return (
        f"import sys, ivr.transport.sockets as s; {patch}; "
        "from ivr.cli import main; sys.argv[0] = 'ivr'; sys.exit(main())"
    )


class PatchedServe(ServeProcess):
    """``ServeProcess`` running ``python -c`` with one of ``PATCHES`` applied first."""

    def __init__(self, config_path: Path, patch: str) -> None:
        import subprocess

        original = subprocess.Popen

        def popen(args, **kwargs):  # type: ignore[no-untyped-def]
            if args[1:3] == ["-m", "ivr"]:
                args = [args[0], "-c", patched_serve(patch), *args[3:]]
            return original(args, **kwargs)

        subprocess.Popen = popen  # type: ignore[misc]
        try:
            super().__init__(config_path)
        finally:
            subprocess.Popen = original  # type: ignore[misc]


def prepare(workdir: Path) -> Path:
    """A config in ``workdir`` with its prompt audio (copied from the storm benchmark's
    build when there is one, then built incrementally)."""
    from storm import BENCH_DIR, prepare_workdir

    cached = BENCH_DIR / "prompts"
    if cached.is_dir() and not (workdir / "prompts").exists():
        shutil.copytree(cached, workdir / "prompts")
    return prepare_workdir(workdir)


def lines_after_hangup(rep) -> tuple[list[tuple[float, str, str]], float]:  # type: ignore[no-untyped-def]
    """The AGI lines (time, direction, text) from the interrupted STREAM FILE's reply on,
    and the time the AGI ended."""
    agi = []
    for line in rep.lines:
        match = re.search(r"AGI (Tx >>|Rx <<) (.*)$", line)
        if match and "agi_" not in match.group(2):
            agi.append((stamp(line), match.group(1)[:2], match.group(2).strip()))
    start = next(i for i, (_t, d, text) in enumerate(agi) if d == "Tx" and "result=-1" in text)
    ended = stamp(next(x for x in reversed(rep.lines) if "AGI Script" in x and "completed" in x))
    return agi[start:], ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--tuning", choices=("on", *PATCHES), default="on")
    parser.add_argument(
        "--transport", choices=("fastagi", "agi"), default="fastagi", help="agi: process AGI"
    )
    parser.add_argument("--hangup-ms", type=int, default=3000, help="caller hangs up after")
    parser.add_argument("--spacing", type=float, default=0.7, help="seconds between calls")
    args = parser.parse_args()
    binary = find_asterisk()
    if binary is None:
        sys.exit("no Asterisk (see tests/e2e/real_asterisk.py)")
    workdir = Path(tempfile.mkdtemp(prefix="ivr-hangup-"))
    config = prepare(workdir / "site")
    if args.tuning == "on":
        server = ServeProcess(config)
    else:
        server = PatchedServe(config, PATCHES[args.tuning])
    asterisk = Asterisk(
        binary=binary,
        workdir=workdir / "asterisk",
        dialplan=ROOT / "dialplan" / "extensions_ivr.conf",
        queues=[Queue("dso-callcentre"), Queue("dso-emergency")],
        globals_={"IVR_AGI": server.url},
    )
    try:
        asterisk.start()
        calls = []
        agi = (
            f"{Path(sys.executable).with_name('ivr-agi')},{config}"
            if args.transport == "agi"
            else ""
        )
        for _ in range(args.calls):
            calls.append(asterisk.place(f"w{args.hangup_ms} h", agi=agi))
            time.sleep(args.spacing)
        asterisk.wait_gone(calls, timeout=60 + 5 * args.calls)
        time.sleep(0.5)
        to_hangup, to_last_reply, to_end, after = [], [], [], []
        for call in calls:
            rep = report(asterisk, call)
            lines, ended = lines_after_hangup(rep)
            t0 = lines[0][0]
            hangups = [t for t, d, text in lines if d == "Tx" and text == "HANGUP"]
            replies = [t for t, d, text in lines if d == "Tx" and text != "HANGUP"]
            commands = [text for _t, d, text in lines if d == "Rx"]
            to_hangup.append((hangups[0] - t0) * 1000 if hangups else float("nan"))
            to_last_reply.append((replies[-1] - t0) * 1000)
            to_end.append((ended - t0) * 1000)
            after.append(len(commands))
            print(
                f"call {call.id}: {len(commands)} commands after the -1: "
                + " | ".join(f"{(t - t0) * 1000:.0f} {d} {text[:40]}" for t, d, text in lines)
                + f" | {(ended - t0) * 1000:.0f} AGI ended"
            )

        def summary(values: list[float]) -> str:
            values = [v for v in values if v == v]  # no HANGUP line in process AGI (SIGHUP)
            if not values:
                return "none"
            return f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms"

        what = "process AGI" if agi else f"FastAGI, tuning {args.tuning}"
        print(f"\n{what}: {len(calls)} calls hanging up during the welcome prompt")
        print(f"commands after the -1 per call: {sorted(set(after))}")
        print(f"200 result=-1 -> HANGUP line:        {summary(to_hangup)}")
        print(f"200 result=-1 -> Asterisk last reply: {summary(to_last_reply)}")
        print(f"200 result=-1 -> AGI ended:          {summary(to_end)}")
    finally:
        asterisk.stop()
        server.proc.terminate()
        server.proc.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
