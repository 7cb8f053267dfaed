"""The event loop of ``ivr serve``: uvloop when installed (``--loop auto``), asyncio's own
on request or where uvloop cannot be imported, and a clear refusal of ``--loop uvloop``
without it. A real call is served on each loop (and SIGTERM drains on each:
``test_faults.test_sigterm_drains_running_calls_then_exits``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from serve_process import ENV, ServeProcess
from test_faults import tcp_call

from ivr.transport.loops import LoopUnavailable, loop_factory, run

WITHOUT_UVLOOP = "import sys; sys.modules['uvloop'] = None\n"  # import uvloop -> ImportError


def in_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60
    )


def test_asyncio_on_request_and_unknown_names_refused():
    name, factory = loop_factory("asyncio")
    loop = factory()
    try:
        assert name == "asyncio" and type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
    with pytest.raises(ValueError, match="unknown event loop 'tokio'"):
        loop_factory("tokio")


def test_auto_is_uvloop_when_installed():
    pytest.importorskip("uvloop")
    assert loop_factory("auto")[0] == "uvloop"

    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run(which(), "uvloop").startswith("uvloop")


def test_without_uvloop_auto_falls_back_and_uvloop_is_refused():
    done = in_python(
        WITHOUT_UVLOOP
        + "from ivr.transport.loops import LoopUnavailable, loop_factory\n"
        + "print(loop_factory('auto')[0])\n"
        + "try:\n    loop_factory('uvloop')\nexcept LoopUnavailable as exc:\n    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "asyncio"
    assert second.startswith("--loop uvloop: uvloop cannot be imported")
    assert LoopUnavailable.__mro__[1] is RuntimeError


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_call_on_each_loop(config_copy, config, loop):
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    serve = ServeProcess(config_copy, "--loop", loop)
    try:
        serve.wait_for(rf"event loop: {loop}")
        transcript = tcp_call(serve.address, config, "0")
        assert transcript.events[-1]["type"] == "end"
        assert "IVR_RESULT" in transcript.variables or "IVR" in transcript.variables
    finally:
        serve.stop()
