"""The call's queue as Asterisk sees it on the way there, and the expected wait announced.

One ``GET FULL VARIABLE`` per operator call (in working hours) asks for every figure the
config wants, so no round trip is added for the second: the callers waiting
(``operator.callback``, ``${QUEUE_WAITING_COUNT(queue)}``) and the expected wait in seconds
(``operator.expected_wait``, by default the queue's own average hold time,
``${QUEUE_VARIABLES(queue):0:0}${QUEUEHOLDTIME}``), joined by a comma when both are asked:
Asterisk answers ``200 result=1 (12,180)``. Asterisk substitutes an expression left to right,
so QUEUE_VARIABLES has set QUEUEHOLDTIME on the channel before it is read (checked under the
real Asterisk); ``:0:0`` drops the function's own result (``0``, or ``-1`` when the queue does
not set ``setqueuevar = yes``: then QUEUEHOLDTIME is empty and nothing is said).

The estimate is Asterisk's own: the queue's average hold time (what its announce-holdtime
says, a running average of how long answered callers waited), rounded **up** to whole minutes
(Asterisk rounds to the nearest; a wait said shorter than it turns out is the worse mistake).
Below ``min_seconds`` nothing is said (never "less than a minute"); above ``max_minutes`` the
caller hears "more than ``max_minutes`` minutes". A hold time of 0, empty or not a number is
unknown: nothing is said. So is anything whose audio is not built: never half a sentence.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Generator
from dataclasses import dataclass

from ivr.agi.types import Command
from ivr.config.model import ExpectedWait
from ivr.flow.context import FlowContext, Request, Response
from ivr.speech import plan_count
from ivr.speech.plan import Plan

log = logging.getLogger(__name__)

#: "Орієнтовний час очікування —" and "... — понад", each followed by the minutes
PROMPTS = ("expected_wait", "expected_wait_over")

_unknown_warned: set[str] = set()  # expressions whose empty value was logged (once each)


@dataclass(frozen=True)
class QueueFigures:
    """What Asterisk said about the call's queue; None: not asked, or no usable value."""

    waiting: int | None = None  # callers waiting in the queue
    hold_seconds: float | None = None  # the expected wait (0 is unknown: None)


def queue_figures(ctx: FlowContext) -> Generator[Request, Response, QueueFigures]:
    """Ask Asterisk, in one command, for the figures the callback and the expected wait
    need (nothing is sent when neither is configured)."""
    operator = ctx.config.operator
    queue = operator.queue_for(ctx.state.topic)
    wanted: list[tuple[str, str]] = []
    if operator.callback is not None:
        wanted.append(("waiting", operator.callback.expression(queue)))
    if operator.expected_wait is not None:
        wanted.append(("hold", operator.expected_wait.expression(queue)))
    if not wanted:
        return QueueFigures()
    expression = ",".join(asked for _, asked in wanted)
    reply = yield from ctx.command(Command("GET FULL VARIABLE", (expression,)))
    if reply.value != 1 or reply.data is None:
        return QueueFigures()
    values = reply.data.split(",") if len(wanted) > 1 else [reply.data]
    if len(values) != len(wanted):
        log.warning(
            "call %s: %s is %r, not %d values",
            ctx.call.call_uid,
            expression,
            reply.data,
            len(wanted),
        )
        return QueueFigures()
    expressions = dict(wanted)
    found = {name: value.strip() for (name, _), value in zip(wanted, values, strict=True)}
    waiting = hold = None
    if "waiting" in found:
        waiting = _count(ctx, expressions["waiting"], found["waiting"])
    if "hold" in found:
        hold = _seconds(ctx, expressions["hold"], found["hold"])
    return QueueFigures(waiting, hold)


def _count(ctx: FlowContext, expression: str, value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        log.warning("call %s: %s is %r, not a count", ctx.call.call_uid, expression, value)
        return None


def _seconds(ctx: FlowContext, expression: str, value: str) -> float | None:
    """The expected wait in seconds; None when unknown (empty, 0, negative, not a number)."""
    if not value:
        if expression not in _unknown_warned:
            _unknown_warned.add(expression)
            log.warning(
                "%s is empty: no expected wait is said (does queues.conf set "
                "'setqueuevar = yes' for the queue?)",
                expression,
            )
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        log.warning("call %s: %s is %r, not seconds", ctx.call.call_uid, expression, value)
        return None
    return seconds if seconds > 0 else None


def wait_parts(seconds: float, wait: ExpectedWait) -> tuple[str, str, Plan] | None:
    """The prompt, the minutes as the call's path notes them ("3", or "30+" for more than
    30) and their plan that say an expected wait of ``seconds``; None when too short."""
    if seconds < wait.min_seconds:
        return None
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > wait.max_minutes:
        over = plan_count(wait.max_minutes, "minute", accusative=True)
        return "expected_wait_over", f"{wait.max_minutes}+", over
    return "expected_wait", str(minutes), plan_count(minutes, "minute")


def announce_wait(ctx: FlowContext, seconds: float | None) -> Generator[Request, Response, None]:
    """Say the expected wait (``operator.expected_wait``) when it is known and long enough,
    and note it in the call's path."""
    wait = ctx.config.operator.expected_wait
    if wait is None or seconds is None:
        return
    parts = wait_parts(seconds, wait)
    if parts is None:
        return
    prompt, minutes, plan = parts
    if not (ctx.audio.playable(prompt) and ctx.can_say(plan)):  # half a sentence misleads
        log.error(
            "call %s: the expected wait %r has no built audio; not said (run 'ivr prompts build')",
            ctx.call.call_uid,
            plan.text(),
        )
        return
    menu = ctx.state.stack[-1] if ctx.state.stack else ""
    ctx.state.path.append({"menu": menu, "event": "expected_wait", "minutes": minutes})
    yield from ctx.play(prompt)
    yield from ctx.say(plan)
