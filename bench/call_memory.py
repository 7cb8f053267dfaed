"""Memory of one call's flow, without a server: N calls parked at their first wait.

    python bench/call_memory.py [--calls 2000] [--root CHECKOUT]

Each call is the storm's unknown caller (``bench/storm.py``): it is answered, presses 1
during the welcome and is parked when the outages menu starts playing. Nothing else runs
(no server, no sockets, no recorder), so the figure is what the flow and its state cost per
concurrent call, by the source file that allocated it (``tracemalloc``). ``--root`` measures
another checkout (a ``git worktree``) the same way, for before/after comparisons; the shipped
``config.yaml`` of that checkout is used for the DSO alone (no profiles).
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import tempfile
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--root", type=Path, default=HERE, help="The checkout to measure.")
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    from ivr.agi.protocol import parse_reply
    from ivr.agi.types import Command
    from ivr.config.loader import load_config
    from ivr.simulator import asterisk_env
    from ivr.transport.provider import Snapshot
    from ivr.transport.runner import CallRun

    text = (root / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(root / "prompts" / "uk.yaml"))
    text = text.replace("examples/directory.yaml", str(root / "examples" / "directory.yaml"))
    text = re.sub(r"(?m)^profiles:\n(?:  .*\n)*", "", text)
    work = Path(tempfile.mkdtemp(prefix="ivr-callmem-"))
    (work / "config.yaml").write_text(text, encoding="utf-8")
    snapshot = Snapshot.of(load_config(work / "config.yaml"))

    class NoRecorder:
        def started(self, record: object) -> None: ...

        def record(self, record: object) -> None: ...

    pressed = parse_reply("200 result=49 endpos=100")  # "1" during the welcome
    played = parse_reply("200 result=0 endpos=100")

    def park(number: int) -> object:
        env = asterisk_env(f"04412{number:05d}", "0800000373", network=True)
        run = CallRun(snapshot, env, "fastagi", NoRecorder())  # type: ignore[arg-type]
        request = run.steps.send(None)
        for _ in range(50):
            if isinstance(request, Command) and request.name == "STREAM FILE":
                if "menu_outages" in str(request.args):
                    return run
                request = run.steps.send(pressed if "welcome" in str(request.args) else played)
            else:
                request = run.steps.send(played)
        raise SystemExit("the call never reached the outages menu")

    park(0)  # warm up: first-call caches are not per call
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    parked = [park(i) for i in range(1, args.calls + 1)]
    gc.collect()
    after = tracemalloc.take_snapshot()
    stats = after.compare_to(before, "filename")
    total = sum(s.size_diff for s in stats)
    print(f"{root}: {len(parked)} parked calls, {total / len(parked) / 1024:.2f} KiB per call")
    for stat in stats[:10]:
        name = stat.traceback[0].filename.replace(f"{root}/", "")
        print(f"  {stat.size_diff / len(parked):7.0f} B per call  {name}")


if __name__ == "__main__":
    main()
