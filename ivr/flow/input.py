"""Input primitives for actions: collect several digits, read a value back and confirm it.

Both return typed results (as Adhearsion's ``ask`` and ``menu`` do) that the calling action
must handle; neither ever ends the call itself.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Generator
from dataclasses import dataclass

from ivr.flow.context import FlowContext, Request, Response
from ivr.speech.plan import Plan

log = logging.getLogger(__name__)

DIGITS = "0123456789"


@dataclass(frozen=True)
class DigitsRequest:
    """How to collect a number: an account, a meter reading, a house number."""

    prompts: tuple[str, ...]  # played first; any digit, ``finish_key`` or ``restart_key`` cuts in
    min_length: int = 1
    max_length: int = 20  # reaching it finishes at once
    timeout_ms: int = 6000  # silence before the first digit (and after a restart)
    inter_digit_timeout_ms: int = 3000  # silence after a digit finishes the input
    finish_key: str = "#"
    restart_key: str = "*"  # clears what was entered; the caller starts again
    max_restarts: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(f"need 1 <= min_length <= max_length, got {self}")
        if {self.finish_key, self.restart_key} & set(DIGITS) or self.finish_key == self.restart_key:
            raise ValueError("finish_key and restart_key must be two different non-digit keys")


@dataclass(frozen=True)
class Collected:
    """The caller entered ``digits`` (between min_length and max_length of them)."""

    digits: str


@dataclass(frozen=True)
class NoInput:
    """Nothing was entered (silence, or only the finish key), or too many restarts."""


@dataclass(frozen=True)
class TooShort:
    """The caller finished (key or silence) after fewer than min_length digits."""

    digits: str


DigitsResult = Collected | NoInput | TooShort


def collect_digits(
    ctx: FlowContext, request: DigitsRequest
) -> Generator[Request, Response, DigitsResult]:
    """Play the prompts and collect digits until the finish key, ``max_length`` digits or the
    inter-digit timeout; the restart key starts again."""
    keys = DIGITS + request.finish_key + request.restart_key
    key = yield from ctx.play_all(request.prompts, keys)
    digits = ""
    restarts = 0
    while True:
        if key is None:
            timeout = request.inter_digit_timeout_ms if digits else request.timeout_ms
            key = yield from ctx.wait_digit(timeout)
            if key is None:  # silence
                if not digits:
                    return NoInput()
                return _finished(digits, request)
        if key == request.finish_key:
            return _finished(digits, request) if digits else NoInput()
        if key == request.restart_key:
            restarts += 1
            if restarts > request.max_restarts:
                return NoInput()
            digits = ""
        elif key in DIGITS:
            digits += key
            if len(digits) == request.max_length:
                return Collected(digits)
        key = None  # other keys (A-D) are ignored


def _finished(digits: str, request: DigitsRequest) -> DigitsResult:
    return Collected(digits) if len(digits) >= request.min_length else TooShort(digits)


class Confirmation(enum.Enum):
    YES = "yes"  # the caller pressed the yes key
    NO = "no"  # the caller pressed the no key (offer to enter it again)
    NO_ANSWER = "no_answer"  # silence or other keys, every attempt
    UNSAYABLE = "unsayable"  # the value cannot be read back (speech fragments without audio)


@dataclass(frozen=True)
class ConfirmRequest:
    """How to read a value back: "you entered" (intro), the value, "1 yes, 2 no" (question)."""

    question_prompt: str
    intro_prompt: str | None = None
    yes_key: str = "1"
    no_key: str = "2"
    attempts: int = 2
    timeout_ms: int = 5000


def confirm(
    ctx: FlowContext, plan: Plan, request: ConfirmRequest
) -> Generator[Request, Response, Confirmation]:
    """Read ``plan`` back (``ivr.speech``) and ask the caller to confirm it."""
    if not ctx.can_say(plan):
        log.error(
            "call %s: %r cannot be read back (speech fragments without audio)",
            ctx.call.call_uid,
            plan.text(),
        )
        return Confirmation.UNSAYABLE
    escape = request.yes_key + request.no_key
    for _ in range(request.attempts):
        intro = (request.intro_prompt,) if request.intro_prompt else ()
        key = yield from ctx.play_all(intro, escape)
        if key is None:
            key = yield from ctx.say(plan, escape)
        if key is None:
            key = yield from ctx.play(request.question_prompt, escape)
        if key is None:
            key = yield from ctx.wait_digit(request.timeout_ms)
        if key == request.yes_key:
            return Confirmation.YES
        if key == request.no_key:
            return Confirmation.NO
    return Confirmation.NO_ANSWER
