"""What the IVR says about outages at a caller's address, as a sequence of prompt ids and
speech plans (``ivr.speech``), in the order of precedence the callers need:

1. an active emergency or planned outage at the address, its feeder or its groups: its kind,
   since when, the estimated restoration time and when it was last revised;
2. otherwise the schedules: suspended (emergency shutdowns), or the caller's group and the
   remaining off-periods of today and those of tomorrow (merged across midnight), with
   tomorrow's provisional status said aloud;
3. otherwise: no outage is known at the address.

Data older than ``max_age`` is said to be so, with its time. Pure: no I/O, nothing played.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ivr.accounts.model import Account
from ivr.outages.intervals import periods
from ivr.outages.model import DayStatus, OutageKind, ScheduleDay
from ivr.outages.report import OutageReport
from ivr.speech.grammar import plan_date, plan_number, plan_time
from ivr.speech.plan import Plan

Item = str | Plan  # a prompt id, or a speech plan

#: Prompt ids this module says; their texts live in prompts/uk.yaml.
PROMPTS = (
    "outage_emergency_here",
    "outage_planned_here",
    "outage_since",
    "outage_restore_at",
    "outage_restore_unknown",
    "outage_revised",
    "outage_none",
    "outage_data_age",
    "outage_data_stale",
    "schedule_group",
    "schedule_point",
    "schedule_suspended",
    "schedule_today",
    "schedule_today_none",
    "schedule_tomorrow",
    "schedule_tomorrow_provisional",
    "schedule_tomorrow_none",
    "schedule_tomorrow_unknown",
    "schedule_and",
    "schedule_now",
)


def when(moment: datetime, tz: ZoneInfo, today: date) -> list[Item]:
    """ "сьогодні о вісімнадцятій тридцять", "завтра о сьомій", "третього грудня о дев'ятій"."""
    local = moment.astimezone(tz)
    return [plan_date(local.date(), today=today), plan_time(local.hour, local.minute, "at")]


def plan_group(group: str) -> list[Item]:
    """ "3.1" -> "три точка один"; a group without a point -> its number."""
    queue, _, sub = group.partition(".")
    items: list[Item] = [plan_number(int(queue))]
    if sub:
        items += ["schedule_point", plan_number(int(sub))]
    return items


def plan_status(
    report: OutageReport, account: Account, now: datetime, tz: ZoneInfo, max_age: timedelta
) -> list[Item]:
    today = now.astimezone(tz).date()
    items: list[Item] = []
    if report.updated_at is not None and now - report.updated_at > max_age:
        items += ["outage_data_stale", "outage_data_age", *when(report.updated_at, tz, today)]
    if report.outages:
        ranked = sorted(report.outages, key=lambda o: (o.kind is not OutageKind.EMERGENCY, o.start))
        outage = ranked[0]
        items.append(
            "outage_emergency_here"
            if outage.kind is OutageKind.EMERGENCY
            else "outage_planned_here"
        )
        items += ["outage_since", *when(outage.start, tz, today)]
        if outage.restoration is not None:
            items += ["outage_restore_at", *when(outage.restoration, tz, today)]
        else:
            items.append("outage_restore_unknown")
        if outage.revised_at is not None:
            items += ["outage_revised", *when(outage.revised_at, tz, today)]
        return items
    schedule = [d for d in report.days if d.group in account.groups]
    if not schedule:
        return [*items, "outage_none"]
    for group in account.groups:
        days = sorted((d for d in schedule if d.group == group), key=lambda d: d.day)
        if days:
            items += _group_schedule(group, days, now, tz, today)
    return items


def _group_schedule(
    group: str, days: Sequence[ScheduleDay], now: datetime, tz: ZoneInfo, today: date
) -> list[Item]:
    tomorrow = today + timedelta(days=1)
    by_day = {d.day: d for d in days}
    if any(d.status is DayStatus.SUSPENDED for d in days if d.day in (today, tomorrow)):
        return ["schedule_suspended"]
    items: list[Item] = ["schedule_group", *plan_group(group)]
    spans = periods([d for d in days if d.day in (today, tomorrow)], tz, now)
    today_spans = [p for p in spans if p.start.astimezone(tz).date() <= today]
    later = [p for p in spans if p.start.astimezone(tz).date() == tomorrow]
    if today_spans:
        items += ["schedule_today", *_spans(today_spans, tz, now)]
    else:
        items.append("schedule_today_none")
    upcoming = by_day.get(tomorrow)
    if upcoming is None:
        items.append("schedule_tomorrow_unknown")
    elif later:
        provisional = upcoming.status is DayStatus.PROVISIONAL
        items += [
            "schedule_tomorrow_provisional" if provisional else "schedule_tomorrow",
            *_spans(later, tz, now),
        ]
    else:
        items.append("schedule_tomorrow_none")
    return items


def _spans(spans: Sequence, tz: ZoneInfo, now: datetime) -> list[Item]:
    """ "з двадцять третьої тридцять до третьої тридцять, і з ..." """
    items: list[Item] = []
    for number, span in enumerate(spans):
        if number:
            items.append("schedule_and")
        start, end = span.start.astimezone(tz), span.end.astimezone(tz)
        if start <= now:  # under way: "зараз світла немає до ..."
            items += ["schedule_now", plan_time(end.hour, end.minute, "until")]
        else:
            items += [
                plan_time(start.hour, start.minute, "from"),
                plan_time(end.hour, end.minute, "until"),
            ]
    return items
