"""Out of hours: tell the caller when the operators are back, from the working hours.

"Сьогодні оператори працюють з восьмої до двадцятої" (later today), "Оператори
працюватимуть завтра з восьмої до двадцятої", "... у понеділок з дев'ятої до п'ятнадцятої"
(within the week), "... шостого січня з восьмої ..." (further). The exceptions count: after a
holiday the day after it is said. Prompt texts and speech fragments only.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import date, time

from ivr.config.hours import Opening
from ivr.flow.context import FlowContext, Request, Response
from ivr.speech.grammar import plan_date, plan_hours, plan_weekday
from ivr.speech.plan import Plan

WEEK_AHEAD = 6  # days ahead said by the weekday alone


def _clock(moment: time) -> tuple[int, int]:
    return (24, 0) if moment == time.max else (moment.hour, moment.minute)


def opening_parts(opening: Opening, today: date) -> tuple[str | Plan, ...]:
    """Prompt ids and plans that say ``opening`` to a caller on local day ``today``."""
    hours = plan_hours(_clock(opening.start), _clock(opening.end))
    ahead = (opening.day - today).days
    if ahead == 0:
        return ("hours_today", hours)
    if ahead == 1:
        day = plan_date(opening.day, today)  # завтра
    elif ahead <= WEEK_AHEAD:
        day = plan_weekday(opening.day)
    else:
        day = plan_date(opening.day, today)
    return ("hours_next", day, hours)


def tell_opening(ctx: FlowContext, escape: str = "") -> Generator[Request, Response, str | None]:
    """Say when the operators are next at work (nothing when unknown or not sayable);
    the key that interrupted it, if any."""
    company = ctx.config.company
    moment = ctx.clock()
    opening = company.working_hours.next_opening(moment, company.tz)
    if opening is None:
        return None
    today = moment.astimezone(company.tz).date()
    parts = opening_parts(opening, today)
    plans = [part for part in parts if isinstance(part, Plan)]
    if not all(ctx.can_say(plan) for plan in plans):  # half a time would mislead
        return None
    key = None
    for part in parts:
        key = yield from (
            ctx.say(part, escape) if isinstance(part, Plan) else ctx.play(part, escape)
        )
        if key is not None:
            break
    return key
