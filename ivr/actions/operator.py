"""``action: operator``: hand the caller to the operator queue with an appeal number (or,
when the queue is long and ``operator.callback`` is set, offer a callback: ``ivr.flow.callback``;
with ``operator.expected_wait``, the expected wait is said after the connecting prompt:
``ivr.flow.waiting``), or, outside the operators' working hours, say so and when they are
back (``ivr.flow.hours``), and go back to the menu.

``to_operator(..., forced=True)`` is also where a menu sends a caller it gave up on (too many
wrong keys or silences): then out of hours ends with goodbye instead of the menu."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.appeals import read_appeal_number, register_appeal
from ivr.flow.callback import offer_callback
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.hours import tell_opening
from ivr.flow.next import End, Stay, Steps
from ivr.flow.waiting import announce_wait, queue_figures
from ivr.store.records import Outcome, Result


@dataclass(frozen=True, kw_only=True)
class OperatorAction(Action):
    kind: ClassVar[str] = "operator"


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> OperatorAction:
    return OperatorAction()


def handle(action: OperatorAction, ctx: FlowContext, menu: Menu) -> Steps:
    return (yield from to_operator(ctx, action.topic or menu.topic, forced=False))


def to_operator(
    ctx: FlowContext, topic: str | None, forced: bool, details: Mapping[str, Any] | None = None
) -> Steps:
    """The operator queue (in hours), else the closed prompt and the menu (or goodbye when
    ``forced``). ``details``: what the operator should know (kept with the appeal)."""
    config, state = ctx.config, ctx.state
    if state.topic is None:
        state.topic = topic or config.operator.topic
    company = config.company
    if company.working_hours.is_open(ctx.clock(), company.tz):
        figures = yield from queue_figures(ctx)  # one command for the callback and the wait
        called_back = yield from offer_callback(ctx, figures.waiting)
        if called_back is not None:
            return called_back
        appeal = yield from register_appeal(ctx, "operator", details)
        if appeal is not None and config.operator.appeal_prompt:
            yield from read_appeal_number(ctx, appeal.appeal_number, config.operator.appeal_prompt)
        yield from ctx.play(config.operator.connecting_prompt)
        yield from announce_wait(ctx, figures.hold_seconds)
        outcome = Outcome.FAILED if state.error else Outcome.OPERATOR
        return End(Result.OPERATOR, outcome, config.operator.queue_for(state.topic))
    state.after_hours = True
    yield from ctx.play(config.operator.closed_prompt)
    yield from tell_opening(ctx)
    if not forced:
        return Stay()
    return (yield from ctx.goodbye((), Outcome.AFTER_HOURS))


def forced_operator(ctx: FlowContext, topic: str | None) -> Generator[Request, Response, End]:
    """The menu gave up on the caller: an operator, or goodbye out of hours (always an End)."""
    ending = yield from to_operator(ctx, topic, forced=True)
    assert isinstance(ending, End)
    return ending


SPEC = ActionSpec("operator", OperatorAction, parse, handle, required=("topic",))
