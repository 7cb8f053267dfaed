"""Drivers: where a flow meets a transport's ``send`` and its effect runner.

Process AGI and the simulator use ``drive_sync`` (effects inline, a blocking ``send``); the
FastAGI server pushes replies into a ``FlowPump`` from its protocol callbacks (effects in
threads, off the event loop). Both walk the same generator."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

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


class FlowPump(Generic[T]):
    """Push driver (the FastAGI server): no task or future per call. The transport calls
    ``start`` once, then ``resume(reply)`` or ``fail(error)`` whenever Asterisk answers and
    ``resume(result)`` when an effect is done; the pump runs the flow to its next request and
    hands it on:

    * ``command(cmd)`` writes an AGI command and returns None (its reply will resume the
      pump), or returns the AgiError to throw into the flow at once (nothing written);
    * ``effect(effect)`` starts blocking work off the event loop (its result resumes it);
    * ``finish(value)`` receives what the flow returned.

    ``done`` is True once the flow has returned; later resumptions are ignored.
    """

    __slots__ = ("flow", "_command", "_effect", "_finish", "done")

    def __init__(
        self,
        flow: Generator[Any, Any, T],
        command: Callable[[Command], AgiError | None],
        effect: Callable[[Effect], None],
        finish: Callable[[T], None],
    ) -> None:
        self.flow = flow
        self._command = command
        self._effect = effect
        self._finish = finish
        self.done = False

    def start(self) -> None:
        self._advance(None, None)

    def resume(self, response: Any) -> None:
        self._advance(response, None)

    def fail(self, error: AgiError) -> None:
        self._advance(None, error)

    def _advance(self, response: Any, error: AgiError | None) -> None:
        if self.done:
            return
        while True:
            try:
                request = self.flow.throw(error) if error else self.flow.send(response)
            except StopIteration as stop:
                self.done = True
                self._finish(stop.value)
                return
            if isinstance(request, Effect):
                self._effect(request)
                return
            error = self._command(request)
            if error is None:
                return
            response = None
