"""Memory per concurrent call: N calls parked at their first wait, by source file.

    python bench/call_memory.py [--calls 2000] [--root CHECKOUT]
    python bench/call_memory.py --server [--calls 2000]

Each call is the storm's unknown caller (``bench/storm.py``): it is answered, presses 1
during the welcome and is parked when the outages menu starts playing. Nothing else runs
(no server, no sockets, no recorder), so the figure is what the flow and its state cost per
concurrent call, by the source file that allocated it (``tracemalloc``). ``--root`` measures
another checkout (a ``git worktree``) the same way, for before/after comparisons; the shipped
``config.yaml`` of that checkout is used for the DSO alone (no profiles).

``--server`` parks the calls in the real FastAGI server instead (in this process, on a fresh
SQLite file, with its recorder and journal), driven over loopback by the benchmark's load
generator in another process whose prompts last a minute: everything a waiting call costs the
server, sockets, connection objects and journal included (the kernel's socket buffers are not
counted).
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
    parser.add_argument("--server", action="store_true", help="Park the calls in the server.")
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    if args.server:
        server_memory(root, args.calls)
        return
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
    report(root, len(parked), before)


def report(root: Path, calls: int, before: tracemalloc.Snapshot) -> None:
    after = tracemalloc.take_snapshot()
    stats = after.compare_to(before, "filename")
    total = sum(s.size_diff for s in stats)
    print(f"{root}: {calls} parked calls, {total / calls / 1024:.2f} KiB per call")
    for stat in stats[:10]:
        name = stat.traceback[0].filename.replace(f"{root}/", "")
        print(f"  {stat.size_diff / calls:7.0f} B per call  {name}")


def server_memory(root: Path, calls: int) -> None:
    """``--server``: the calls parked in a real FastAGI server, measured with tracemalloc."""
    import asyncio
    import multiprocessing
    import time
    from dataclasses import replace

    sys.path.insert(0, str(root / "bench"))
    import storm

    from ivr.config.loader import load_config
    from ivr.loadgen import run_load
    from ivr.store.async_recorder import AsyncCallRecorder
    from ivr.store.journal import Journal
    from ivr.store.recorder import CallRecorder
    from ivr.store.repository import CallRepository
    from ivr.transport.fastagi import FastAgiServer, ServerSettings
    from ivr.transport.provider import ConfigProvider, Snapshot

    storm.prepare_workdir()
    work = Path(tempfile.mkdtemp(prefix="ivr-srvmem-"))
    config = load_config(storm.write_config(work, storm.BENCH_DIR / "prompts"))
    repository = CallRepository(config.database_url)
    repository.ensure_schema()
    recorder = AsyncCallRecorder(CallRecorder(repository, Journal(config.journal_path)))
    scenario = replace(
        storm.SCENARIOS["storm"],
        calls=calls,
        concurrency=calls,
        keys=storm.OUR_KEYS,
        prompt_delay=60.0,
        input_delay=60.0,
    )

    async def measure() -> None:
        server = FastAgiServer(
            ConfigProvider(Snapshot.of(config)), recorder, ServerSettings(port=0)
        )
        await server.start()
        loop = asyncio.get_running_loop()
        gc.collect()
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        load = loop.run_in_executor(None, run_load, storm.HOST, server.port, scenario, 1)
        deadline = time.monotonic() + 60
        while len(server.active) < calls and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # every call reaches its first long prompt; starts journalled
        gc.collect()
        report(root, len(server.active), before)
        tracemalloc.stop()
        for connection in list(server.active):
            if connection.transport is not None:
                connection.transport.abort()
        await load
        await server.close()

    multiprocessing.set_start_method("spawn", force=True)
    asyncio.run(measure())
    recorder.close()


if __name__ == "__main__":
    main()
