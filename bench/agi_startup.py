"""Process-AGI start-up: spawn to the first AGI command on stdout, ours vs bare pyst2.

Runs ``python -m ivr agi --config X`` (the same lean path as ``ivr-agi``) and a pyst2 script
that only answers, ``--runs`` times each (interleaved), feeding an env block on stdin, and
prints the medians and the ratio (target: ours within 1.5x). For ours it also prints the time
to the first prompt (``STREAM FILE``, after Asterisk answered ``ANSWER``), when the caller
starts hearing something. Byte code is compiled first, as ``pip install`` does.

    python bench/agi_startup.py --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storm import BENCH_DIR, ENV, ROOT, prepare_workdir  # noqa: E402

from ivr.simulator import asterisk_env, env_block  # noqa: E402

BARE_PYST2 = """
from asterisk.agi import AGI
agi = AGI()
agi.answer()
"""


def first_command_time(command: list[str], cwd: Path) -> tuple[float, float | None]:
    env = env_block(asterisk_env("0441234567", "0800000373"))
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(env)
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    if not line.startswith(b"ANSWER"):
        raise RuntimeError(f"{command}: first line {line!r}")
    proc.stdin.write(b"200 result=0\n")
    proc.stdin.flush()
    second = proc.stdout.readline()
    prompt = time.perf_counter() - started if second.startswith(b"STREAM FILE") else None
    proc.kill()  # the caller is gone: the rest of the call does not matter here
    proc.wait()
    return elapsed, prompt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--workdir", type=Path, default=BENCH_DIR)
    args = parser.parse_args()
    config = prepare_workdir(args.workdir)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "ivr")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    ours_cmd = [sys.executable, "-m", "ivr", "agi", "--config", str(config)]
    bare_cmd = [sys.executable, "-c", BARE_PYST2]
    first_command_time(ours_cmd, args.workdir)  # writes the compiled-config cache
    ours, prompts, bare = [], [], []
    for _ in range(args.runs):  # interleaved, so drift hits both alike
        answer, prompt = first_command_time(ours_cmd, args.workdir)
        ours.append(answer)
        if prompt is not None:
            prompts.append(prompt)
        bare.append(first_command_time(bare_cmd, args.workdir)[0])
    o, b = statistics.median(ours), statistics.median(bare)
    p = statistics.median(prompts) if prompts else float("nan")
    print(f"ivr agi, start -> ANSWER:        median {o * 1000:.0f} ms (min {min(ours) * 1000:.0f})")
    print(f"ivr agi, start -> first prompt:  median {p * 1000:.0f} ms")
    print(f"bare pyst2, start -> ANSWER:     median {b * 1000:.0f} ms (min {min(bare) * 1000:.0f})")
    print(f"ratio (ANSWER): {o / b:.2f}x (target <= 1.5x); first prompt / bare: {p / b:.2f}x")


if __name__ == "__main__":
    main()
