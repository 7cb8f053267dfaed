"""Drivers: where a flow meets a transport's ``send`` and its effect runner.

Process AGI and the simulator use ``drive_sync`` (effects inline), the FastAGI server
``drive_async`` (effects in threads, off the event loop). Both walk the same generator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from ivr.agi.types import AgiError, Command, Reply
from ivr.flow.effects import Effect, EffectRunner

T = TypeVar("T")


def drive_sync(
    flow: Generator[Any, Any, T],
    send: Callable[[Command], Reply],
    effects: EffectRunner | None = None,
) -> T:
    """Run a flow to its end against a blocking ``send``, effects inline. Without a runner
    every effect fails (and the flow goes on without it)."""
    runner = effects or EffectRunner()
    response: Any = None
    error: AgiError | None = None
    while True:
        try:
            request = flow.throw(error) if error else flow.send(response)
        except StopIteration as stop:
            return stop.value
        if isinstance(request, Effect):
            response, error = runner.run(request), None
            continue
        try:
            response, error = send(request), None
        except AgiError as exc:
            response, error = None, exc


async def drive_async(
    flow: Generator[Any, Any, T],
    send: Callable[[Command], Awaitable[Reply]],
    effects: EffectRunner | None = None,
) -> T:
    """Run a flow to its end against an asynchronous ``send``; effects run off the event loop
    when ``effects`` is an ``AsyncEffectRunner``."""
    runner = effects or EffectRunner()
    run_async = getattr(runner, "run_async", None)
    response: Any = None
    error: AgiError | None = None
    while True:
        try:
            request = flow.throw(error) if error else flow.send(response)
        except StopIteration as stop:
            return stop.value
        if isinstance(request, Effect):
            response = await run_async(request) if run_async else runner.run(request)
            error = None
            continue
        try:
            response, error = await send(request), None
        except AgiError as exc:
            response, error = None, exc
