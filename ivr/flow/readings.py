"""Taking a meter reading from the keypad: zone by zone (``ivr.accounts.zones``), each value
read back in whole kWh and confirmed, then checked against the account's previous reading.

A value lower than the previous one is explained and refused (a person must look: a new
meter, an earlier mistake); a zone that grew by more than ``readings.max_kwh_per_day`` a day
since then is said to be implausible and entered again. Silence, too many digits, "2" at the
read-back and implausible values all use up the zone's ``readings.attempts``. Nothing is
kept here: the caller of ``take_reading`` stores the values only when every zone is taken.
"""

from __future__ import annotations

import enum
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime

from ivr.config.model import Readings
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.input import (
    Collected,
    Confirmation,
    ConfirmRequest,
    DigitsRequest,
    collect_digits,
    confirm,
)
from ivr.speech import plan_count

#: Prompt ids of taking a reading (texts in prompts/uk.yaml); zones by ``zone_prompt``.
PROMPTS = (
    "readings_ask_1",
    "readings_ask_2",
    "readings_ask_3",
    "readings_zone_day",
    "readings_zone_night",
    "readings_zone_peak",
    "readings_zone_half_peak",
    "readings_again",
    "readings_not_entered",
    "readings_too_long",
    "readings_jump",
    "readings_lower",
    "readings_lower_why",
    "identify_entered",
    "identify_confirm",
)


@dataclass(frozen=True)
class Previous:
    """The reading a new one is checked against (as many values as the meter has zones)."""

    values: tuple[int, ...]
    read_at: datetime


class Refusal(enum.StrEnum):
    LOWER = "lower"  # lower than the previous reading
    JUMP = "jump"  # implausible growth, entered again until the attempts ran out
    ATTEMPTS = "attempts"  # silence, too many digits or "no" at the read-back, every attempt
    UNSAYABLE = "unsayable"  # the value cannot be read back (speech fragments without audio)


@dataclass(frozen=True)
class Taken:
    values: tuple[int, ...]  # one per zone, in the zones' order


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    entered: tuple[int, ...]  # the zones taken before, then the refused value if there is one


def zone_prompt(zone: str) -> str:
    return f"readings_zone_{zone}"


def take_reading(
    ctx: FlowContext, zones: tuple[str, ...], previous: Previous | None
) -> Generator[Request, Response, Taken | Refused]:
    """Every zone's value, or why the reading was refused (the caller heard why)."""
    values: list[int] = []
    for index in range(len(zones)):
        value = yield from _take_zone(ctx, zones, index, previous)
        if isinstance(value, Refused):
            return Refused(value.reason, (*values, *value.entered))
        values.append(value)
    return Taken(tuple(values))


def verdict(
    value: int, index: int, previous: Previous | None, now: datetime, settings: Readings
) -> Refusal | None:
    """What is wrong with zone ``index``'s ``value`` against the previous reading, or None.
    Less than a day since then counts as a day."""
    if previous is None:
        return None
    last = previous.values[index]
    if value < last:
        return Refusal.LOWER
    days = max((now - previous.read_at).total_seconds() / 86400, 1.0)
    return Refusal.JUMP if value - last > settings.max_kwh_per_day * days else None


def _take_zone(
    ctx: FlowContext, zones: tuple[str, ...], index: int, previous: Previous | None
) -> Generator[Request, Response, int | Refused]:
    settings = ctx.config.readings
    label = (zone_prompt(zones[index]),) if len(zones) > 1 else ()
    intro = (f"readings_ask_{len(zones)}",) if index == 0 else ()
    # one digit more than a value may have: a caller who keys the decimals is told so
    request = DigitsRequest(prompts=(*intro, *label), max_length=settings.max_digits + 1)
    again = DigitsRequest(prompts=(*label, "readings_again"), max_length=settings.max_digits + 1)
    question = ConfirmRequest(
        question_prompt="identify_confirm", intro_prompt=label[0] if label else "identify_entered"
    )
    failure = Refusal.ATTEMPTS
    refused: tuple[int, ...] = ()  # the implausible value of the last attempt, if it was one
    for attempt in range(settings.attempts):
        entered = yield from collect_digits(ctx, again if attempt else request)
        digits = entered.digits if isinstance(entered, Collected) else ""
        if not digits or len(digits) > settings.max_digits:
            failure, refused = Refusal.ATTEMPTS, ()
            yield from ctx.play("readings_too_long" if digits else "readings_not_entered")
            continue
        value = int(digits)
        answer = yield from confirm(ctx, plan_count(value, "kwh"), question)
        if answer is Confirmation.UNSAYABLE:
            ctx.fail("meter reading not read back: speech fragments without audio")
            return Refused(Refusal.UNSAYABLE, (value,))
        if answer is not Confirmation.YES:
            failure, refused = Refusal.ATTEMPTS, ()
            continue
        wrong = verdict(value, index, previous, ctx.clock(), settings)
        if wrong is Refusal.LOWER:
            assert previous is not None
            yield from _explain_lower(ctx, previous.values[index])
            return Refused(Refusal.LOWER, (value,))
        if wrong is Refusal.JUMP:
            failure, refused = Refusal.JUMP, (value,)
            yield from ctx.play("readings_jump")
            continue
        return value
    return Refused(failure, refused)


def _explain_lower(ctx: FlowContext, last: int) -> Generator[Request, Response, None]:
    """ "Цей показник менший за попередній — N кіловат-годин. Таке буває ..." """
    yield from ctx.play("readings_lower")
    yield from ctx.say(plan_count(last, "kwh"))  # not said when a fragment has no audio
    yield from ctx.play("readings_lower_why")
