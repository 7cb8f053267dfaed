"""The benchmark journey on a bare threaded pyst2 server (one thread per call).

``socketserver.ThreadingTCPServer`` + pyst2's ``AGI`` over the socket's text makefiles.
pyst2's constructor calls ``signal.signal`` (impossible outside the main thread): that one
call is patched out, nothing else.

    python bench/peers/pyst2_threaded_peer.py --port 4575
    python bench/peers/pyst2_threaded_peer.py --port 4575 --script ours.txt

With ``--script FILE`` it sends the file's command lines instead (``bench/storm.py``'s fair
comparison: our server's exact commands of one call) through pyst2's ``send_command`` and
``get_result``, one per reply, whatever the replies say; pyst2 raises on ``result=-1`` (a
hang-up) and on 511, and does not know Asterisk's ``HANGUP`` line, which is read past.
"""

from __future__ import annotations

import argparse
import io
import signal
import socketserver
import threading

import asterisk.agi as pyst2_agi

GREETING = "/var/lib/ivr/sounds/uk/welcome_dso"
ANNOUNCEMENT = "/var/lib/ivr/sounds/uk/outage_current"


class _NoSignals:
    """Stands in for the ``signal`` module inside pyst2: SIGHUP handling is per process."""

    SIGHUP = signal.SIGHUP

    @staticmethod
    def signal(*_args: object) -> None:
        return None


pyst2_agi.signal = _NoSignals  # type: ignore[assignment]


#: ``--script``: the command lines to replay instead of the journey.
SCRIPT: list[str] = []


def replay(agi: pyst2_agi.AGI) -> None:
    for line in SCRIPT:
        agi.send_command(line)
        try:
            agi.get_result()
        except pyst2_agi.AGIAppError:  # result=-1: the caller hung up; HANGUP follows
            agi.stdin.readline()
        except pyst2_agi.AGIException:  # 511 after the hang-up, 510
            pass


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        rfile = io.TextIOWrapper(self.rfile, encoding="utf-8", newline="\n")
        wfile = io.TextIOWrapper(self.wfile, encoding="utf-8", newline="\n", write_through=True)
        agi = pyst2_agi.AGI(stdin=rfile, stdout=wfile, stderr=io.StringIO())
        if SCRIPT:
            replay(agi)
            return
        try:
            agi.answer()
            key = agi.stream_file(GREETING, "12")
            if not key:
                agi.wait_for_digit(5000)
            agi.stream_file(ANNOUNCEMENT, "")
            agi.set_variable("IVR_RESULT", "hangup")
            agi.hangup()
        except pyst2_agi.AGIException:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=4575)
    parser.add_argument("--script", help="replay these command lines (one per line)")
    args = parser.parse_args()
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            SCRIPT[:] = [line.rstrip("\n") for line in f if line.strip()]
    server = Server(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
