"""The benchmark journey on panoramisk's asyncio FastAGI server (``panoramisk.fast_agi``).

Journey: ANSWER; greeting with escape digits; one digit (pressed during the greeting, else
WAIT FOR DIGIT); one announcement; SET VARIABLE; HANGUP. Written as a coroutine endpoint:
panoramisk 1.4 wraps plain functions with ``asyncio.coroutine``, which Python 3.11 removed.

    python bench/peers/panoramisk_peer.py --port 4574
    python bench/peers/panoramisk_peer.py --port 4574 --script ours.txt

With ``--script FILE`` it sends the file's command lines instead (``bench/storm.py``'s fair
comparison: our server's exact commands of one call), one per reply, in order, whatever the
replies say; after a hang-up reply (``200 result=-1``) it reads Asterisk's ``HANGUP`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource

from panoramisk.fast_agi import Application


def digit_of(result: dict) -> str:
    value = result.get("result", ("", ""))[0]
    return chr(int(value)) if value.isdigit() and int(value) > 0 else ""


async def journey(request) -> None:
    send = request.send_command
    if "error" in await send("ANSWER"):
        return
    result = await send('STREAM FILE "greeting" "12"')
    if "error" in result:
        return
    digit = digit_of(result)
    if not digit:
        result = await send('WAIT FOR DIGIT "5000"')
        if "error" in result:
            return
        digit = digit_of(result)
    if "error" in await send('STREAM FILE "announcement" ""'):
        return
    await send(f'SET VARIABLE "IVR_RESULT" "hangup-{digit or "none"}"')
    await send("HANGUP")


def replaying(lines: list[str]):
    async def replay(request) -> None:
        for line in lines:
            result = await request.send_command(line)
            if result.get("error") == "AGIAppError":  # result=-1: the HANGUP line follows
                await request.reader.readline()

    return replay


async def main(host: str, port: int, script: list[str] | None = None) -> None:
    app = Application(loop=asyncio.get_running_loop())
    app.add_route("ivr", replaying(script) if script else journey)
    server = await asyncio.start_server(app.handler, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4574)
    parser.add_argument("--script", help="replay these command lines (one per line)")
    args = parser.parse_args()
    script = None
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = [line.rstrip("\n") for line in f if line.strip()]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.host, args.port, script))
