"""``action: meter_reading``: the caller passes their meter's readings (Resolution 373 names
meter readings among what a call centre receives), and an operator is spared the call.

Only within ``readings.window`` (local days of the company's timezone); outside it the
caller hears when the next window opens and goes back to the menu. The caller is identified
(``ivr.flow.identify``: by caller ID, else on the keypad; not identified: the operator), the
meter's zones come from the registry (none on record: the operator), and the values are
taken zone by zone (``ivr.flow.readings``) against the account's previous reading (the
``LastReading`` effect). An accepted reading is an appeal of kind ``meter_reading`` plus a
``MeterReadingRecord`` with the call; the caller hears the appeal number, then the menu.
A refused one goes to the operator, with what was entered in the appeal's details.

When the previous reading cannot be looked up (the database is down or late) the reading is
still accepted, unchecked: the appeal's details say so (``check``), and the company's
billing checks it as it does readings from any other channel. A hang-up before the last
zone is confirmed leaves no appeal and no reading.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from ivr.accounts.model import Account
from ivr.accounts.zones import zone_names
from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.actions.operator import to_operator
from ivr.config.model import Menu, ReadingWindow
from ivr.flow.appeals import read_appeal_number, register_appeal
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.effects import LastReading
from ivr.flow.identify import EVENTS as IDENTIFY_EVENTS
from ivr.flow.identify import PROMPTS as IDENTIFY_PROMPTS
from ivr.flow.identify import identify
from ivr.flow.next import Stay, Steps
from ivr.flow.readings import PROMPTS as READING_PROMPTS
from ivr.flow.readings import Previous, Refused, take_reading
from ivr.speech import plan_date
from ivr.store.records import MeterReadingRecord

log = logging.getLogger(__name__)

PROMPTS = (
    *IDENTIFY_PROMPTS,
    *READING_PROMPTS,
    "readings_closed",
    "readings_window_on",
    "readings_window_from",
    "readings_window_until",
    "readings_window_end",
    "readings_meter_unknown",
    "readings_accepted",
    "appeal_number_is",
)


@dataclass(frozen=True, kw_only=True)
class MeterReadingAction(Action):
    kind: ClassVar[str] = "meter_reading"


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> MeterReadingAction | None:
    if not p.prompts_exist((*path, "action"), PROMPTS, "meter_reading"):
        return None
    return MeterReadingAction()


def handle(action: MeterReadingAction, ctx: FlowContext, menu: Menu) -> Steps:
    topic = action.topic or menu.topic
    window = ctx.config.readings.window
    today = ctx.clock().astimezone(ctx.config.company.tz).date()
    if not window.contains(today):
        ctx.step(menu, event="reading_outside_window")
        key = yield from _tell_window(ctx, window, today, ctx.escape_keys(menu))
        ctx.state.served = key is None
        return Stay(pending=key)
    account = yield from identify(ctx, menu)
    if account is None:
        return (yield from to_operator(ctx, topic, forced=True))
    zones = zone_names(account.zones)
    if zones is None:
        ctx.step(menu, event="reading_no_zones")
        yield from ctx.play("readings_meter_unknown")
        details = {"reason": "the meter's zones are not on record", "zones": account.zones}
        return (yield from to_operator(ctx, topic, forced=True, details=details))
    known = yield from _previous(ctx, account, zones)
    taken = yield from take_reading(ctx, zones, known.comparable)
    if isinstance(taken, Refused):
        ctx.step(menu, event=f"reading_refused_{taken.reason.value}")
        details = known.details(zones, taken.entered) | {"reason": taken.reason.value}
        return (yield from to_operator(ctx, topic, forced=True, details=details))
    now = ctx.clock()
    appeal = yield from register_appeal(ctx, "meter_reading", known.details(zones, taken.values))
    ctx.state.readings.append(
        MeterReadingRecord(
            account_number=account.number,
            read_at=now,
            values=list(taken.values),
            source="ivr",
            appeal_number=appeal.appeal_number if appeal else None,
        )
    )
    ctx.state.served = True
    ctx.step(menu, event="reading_accepted")
    yield from ctx.play("readings_accepted")
    if appeal is not None:
        yield from read_appeal_number(ctx, appeal.appeal_number, "appeal_number_is")
    return Stay()


@dataclass(frozen=True)
class _Known:
    """What the look-up found: the previous reading, whether it can be compared, and why."""

    record: MeterReadingRecord | None
    comparable: Previous | None
    check: str

    def details(self, zones: tuple[str, ...], values: tuple[int, ...]) -> dict[str, Any]:
        """The appeal's details: the zones, the values, the previous reading, the check."""
        previous = None
        if self.record is not None:
            previous = {"values": self.record.values, "read_at": self.record.read_at.isoformat()}
        return {
            "zones": list(zones),
            "values": list(values),
            "previous": previous,
            "check": self.check,
        }


def _previous(
    ctx: FlowContext, account: Account, zones: tuple[str, ...]
) -> Generator[Request, Response, _Known]:
    result = yield from ctx.effect(LastReading(account.number, include_test=ctx.call.test))
    if not result.ok:
        log.warning(
            "call %s: previous meter reading not looked up, the reading is taken unchecked: %s",
            ctx.call.call_uid,
            result.error,
        )
        return _Known(None, None, f"not checked: look-up failed ({result.error})")
    record = result.value
    if not isinstance(record, MeterReadingRecord):
        return _Known(None, None, "no previous reading")
    if len(record.values) != len(zones):
        check = f"not checked: the previous reading has {len(record.values)} zones"
        return _Known(record, None, check)
    return _Known(record, Previous(tuple(record.values), record.read_at), "checked")


def _tell_window(
    ctx: FlowContext, window: ReadingWindow, today: date, escape: str
) -> Generator[Request, Response, str | None]:
    """ "Зараз показники не приймаються. Їх можна буде передати з ... до ... включно." """
    first, last = window.next_opening(today)
    if first == last:
        parts: tuple[Any, ...] = ("readings_window_on", plan_date(first, with_year=False))
    else:
        parts = (
            "readings_window_from",
            plan_date(first, with_year=False),
            "readings_window_until",
            plan_date(last, with_year=False),
            "readings_window_end",
        )
    plans = [part for part in parts if not isinstance(part, str)]
    if not all(ctx.can_say(plan) for plan in plans):  # dates half said would mislead
        parts = ()
    key = yield from ctx.play("readings_closed", escape)
    for part in parts:
        if key is not None:
            break
        key = yield from (
            ctx.play(part, escape) if isinstance(part, str) else ctx.say(part, escape)
        )
    return key


SPEC = ActionSpec(
    "meter_reading",
    MeterReadingAction,
    parse,
    handle,
    required=("topic",),
    events=(
        *IDENTIFY_EVENTS,
        "reading_outside_window",
        "reading_accepted",
        "reading_refused_lower",
    ),
)
