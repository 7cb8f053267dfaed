"""A callback instead of a long wait: offered on the way to the operator queue.

When ``operator.callback`` is configured, the IVR asks Asterisk how many callers wait in
the call's queue (``GET FULL VARIABLE ${QUEUE_WAITING_COUNT(queue)}``, or the configured dialplan
expression; with the expected wait in the same command when ``operator.expected_wait`` is set:
``ivr.flow.waiting``) right before connecting. From ``offer_when_waiting`` callers on, the
caller may ask to be called back on the number they call from (1) or on a number they key in
(2), or stay in the queue (3, or silence). A request becomes an appeal of kind ``callback`` with the
number, the topic and the queue's length in its details; the caller hears its number.
"""

from __future__ import annotations

import logging
from collections.abc import Generator

from ivr.callerid import normalise_ua
from ivr.flow.appeals import read_appeal_number, register_appeal
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.input import (
    Collected,
    Confirmation,
    ConfirmRequest,
    DigitsRequest,
    collect_digits,
    confirm,
)
from ivr.flow.next import End
from ivr.speech import plan_phone
from ivr.store.records import Outcome

log = logging.getLogger(__name__)

PROMPTS = (
    "callback_offer",
    "callback_offer_other",
    "callback_enter",
    "callback_invalid",
    "callback_number_is",
    "callback_confirm",
    "callback_registered",
    "callback_appeal_number",
)

SAME, OTHER, STAY = "1", "2", "3"
ENTRIES = 2  # numbers a caller may key in before staying in the queue
OFFER_TIMEOUT_MS = 5000  # silence after the offer: the caller stays in the queue


def offer_callback(
    ctx: FlowContext, waiting: int | None
) -> Generator[Request, Response, End | None]:
    """Offer the callback when the queue is long (``waiting`` callers, as Asterisk said:
    ``ivr.flow.waiting.queue_figures``; None: unknown); the call's end if the caller took it,
    None to go on to the queue."""
    callback = ctx.config.operator.callback
    if callback is None or waiting is None or waiting < callback.offer_when_waiting:
        return None
    own = ctx.call.caller.number
    keys = (SAME if own else "") + OTHER + STAY
    key = yield from ctx.play("callback_offer" if own else "callback_offer_other", keys)
    if key is None:
        key = yield from ctx.wait_digit(OFFER_TIMEOUT_MS)
    if key == SAME and own:
        number: str | None = own
    elif key == OTHER:
        number = yield from _keyed_number(ctx)
    else:
        return None
    if number is None:
        return None
    appeal = yield from register_appeal(
        ctx, "callback", {"number": number, "waiting": waiting, "keyed": number != own}
    )
    if appeal is None:  # no number could be given: the queue, as if not offered
        return None
    yield from ctx.play("callback_registered")
    yield from read_appeal_number(ctx, appeal.appeal_number, "callback_appeal_number")
    return (yield from ctx.goodbye(outcome=Outcome.CALLBACK))


def _keyed_number(ctx: FlowContext) -> Generator[Request, Response, str | None]:
    """A Ukrainian number keyed in (0XXXXXXXXX #), read back and confirmed; None after
    ``ENTRIES`` tries."""
    request = DigitsRequest(("callback_enter",), min_length=10, max_length=10)
    question = ConfirmRequest("callback_confirm", intro_prompt="callback_number_is")
    for _ in range(ENTRIES):
        entered = yield from collect_digits(ctx, request)
        number = normalise_ua(entered.digits) if isinstance(entered, Collected) else None
        if number is None:
            yield from ctx.play("callback_invalid")
            continue
        answer = yield from confirm(ctx, plan_phone(number), question)
        if answer is Confirmation.YES:
            return number
    return None
