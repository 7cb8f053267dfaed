"""Effects: the flow asks for blocking work and handles its failure; the drivers run it.

These drive a flow with a scripted ``send`` only: no thread, socket or database.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ivr.agi.types import Command, Reply
from ivr.flow.call import CallContext
from ivr.flow.drive import FlowPump, drive_sync
from ivr.flow.effects import (
    AllocateAppealNumber,
    AsyncEffectRunner,
    Effect,
    EffectResult,
    EffectRunner,
)
from ivr.flow.engine import CallFlow
from ivr.simulator import asterisk_env
from ivr.store.records import Outcome


def operator_caller(commands: list[str]):
    """Asterisk's replies for a caller who presses 0 during the first prompt."""
    pressed = False

    def send(command: Command) -> Reply:
        nonlocal pressed
        commands.append(command.name)
        if command.name == "STREAM FILE" and not pressed and "0" in command.args[1]:
            pressed = True
            return Reply(200, str(ord("0")), endpos=800)
        return Reply(200, "0", endpos=8000) if command.name == "STREAM FILE" else Reply(200, "1")

    return send


def flow_for(config) -> CallFlow:
    return CallFlow(
        config, CallContext.from_env(asterisk_env("0441234567", "0800000373"), "fastagi")
    )


def test_the_appeal_number_comes_from_the_effect_runner(shipped_config):
    asked: list[Effect] = []

    def allocate(effect: AllocateAppealNumber) -> str:
        asked.append(effect)
        return "26120101000012"

    commands: list[str] = []
    record = drive_sync(
        flow_for(shipped_config).run(),
        operator_caller(commands),
        EffectRunner({AllocateAppealNumber: allocate}),
    )
    assert len(asked) == 1 and asked[0].moment.tzinfo is not None
    assert [a.appeal_number for a in record.appeals] == ["26120101000012"]
    assert record.outcome is Outcome.OPERATOR and record.error is None


def test_a_failed_effect_is_handled_and_the_caller_still_reaches_a_person(shipped_config):
    def broken(effect: AllocateAppealNumber) -> str:
        raise OSError("No space left on device")

    commands: list[str] = []
    record = drive_sync(
        flow_for(shipped_config).run(),
        operator_caller(commands),
        EffectRunner({AllocateAppealNumber: broken}),
    )
    assert record.result is not None and record.result.value == "operator"
    assert record.appeals == []
    assert "appeal number: OSError: No space left on device" in (record.error or "")
    assert commands[-1] == "SET VARIABLE"  # handed back, never silence


def test_without_a_handler_an_effect_is_an_error_result():
    @dataclass(frozen=True)
    class Unknown(Effect):
        pass

    result = EffectRunner().run(Unknown())
    assert not result.ok and "no handler for Unknown" in (result.error or "")


def test_a_late_effect_times_out_off_the_event_loop():
    @dataclass(frozen=True)
    class Slow(Effect):
        deadline = 0.05

    def slow(effect: Slow) -> str:
        time.sleep(0.3)
        return "too late"

    async def main() -> tuple[EffectResult, float]:
        with ThreadPoolExecutor(1) as threads:
            runner = AsyncEffectRunner({Slow: slow}, threads)
            loop = asyncio.get_running_loop()
            started = loop.time()
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticker = asyncio.create_task(tick())
            done: asyncio.Future[EffectResult] = loop.create_future()
            runner.submit(Slow(), done.set_result)
            result = await done
            ticker.cancel()
            assert ticks >= 3  # the loop kept running while the effect ran
            return result, loop.time() - started

    result, took = asyncio.run(main())
    assert not result.ok and "took longer than 0.05 s" in (result.error or "")
    assert took < 0.2


def test_the_push_driver_runs_effects_through_the_runner(shipped_config):
    """The FastAGI server's driver: replies and effect results are pushed in from callbacks
    (here: the loop's ``call_soon``, as data would arrive), commands come out."""
    commands: list[str] = []
    scripted = operator_caller(commands)

    async def main():
        loop = asyncio.get_running_loop()
        finished: asyncio.Future = loop.create_future()
        with ThreadPoolExecutor(1) as threads:
            runner = AsyncEffectRunner({AllocateAppealNumber: lambda e: "26120101000020"}, threads)

            def command(cmd: Command) -> None:
                loop.call_soon(pump.resume, scripted(cmd))  # Asterisk's reply arrives later

            def effect(request: Effect) -> None:
                runner.submit(request, pump.resume)

            pump = FlowPump(flow_for(shipped_config).run(), command, effect, finished.set_result)
            pump.start()
            record = await finished
            assert pump.done
            pump.resume(None)  # a late resumption after the end is ignored
            return record

    record = asyncio.run(main())
    assert [a.appeal_number for a in record.appeals] == ["26120101000020"]
    assert commands[-1] == "SET VARIABLE"
