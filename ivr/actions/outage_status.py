"""``action: outage_status``: what is known about outages at the caller's own address.

The caller is identified first (``ivr.flow.identify``, by caller ID). A caller it does not
recognise hears the area-wide status (the option's ``prompts``) and is offered the keypad
entry. Then the outages and schedules of the address, its feeder and its groups are looked
up (an effect) and said (``ivr.outages.say``). A failed or late look-up is said ("дані ...
недоступні") and the operator offered; a menu key pressed meanwhile is the next choice."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from ivr.accounts.model import Account
from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.actions.operator import to_operator
from ivr.config.model import Menu
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.effects import LookUpOutages
from ivr.flow.identify import EVENTS as IDENTIFY_EVENTS
from ivr.flow.identify import PROMPTS as IDENTIFY_PROMPTS
from ivr.flow.identify import by_caller_id, identify
from ivr.flow.next import Stay, Steps
from ivr.outages.report import OutageReport
from ivr.outages.say import PROMPTS as STATUS_PROMPTS
from ivr.outages.say import plan_status

PROMPTS = (
    *IDENTIFY_PROMPTS,
    *STATUS_PROMPTS,
    "outage_unavailable",
    "outage_offer_operator",
    "outage_not_identified",
    "outage_offer_report",
)


@dataclass(frozen=True, kw_only=True)
class OutageStatusAction(Action):
    kind: ClassVar[str] = "outage_status"
    #: Said to a caller who is not identified (the area-wide status), before the offer to
    #: key in their account number.
    prompts: tuple[str, ...] = ()


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> OutageStatusAction | None:
    ok = p.prompts_exist((*path, "action"), PROMPTS, "outage_status")
    prompts: tuple[str, ...] | None = ()
    if "prompts" in data:
        prompts = p.prompt_list((*path, "prompts"), data["prompts"])
    if not ok or prompts is None:
        return None
    return OutageStatusAction(prompts=prompts)


def offer_key(menu: Menu) -> str | None:
    """The key that starts identification here: the first digit the menu does not use, so
    that no menu key changes its meaning ("1" may be the danger key); None when it uses all."""
    return next((k for k in "1234567890" if not any(o.startswith(k) for o in menu.options)), None)


def handle(action: OutageStatusAction, ctx: FlowContext, menu: Menu) -> Steps:
    escape = ctx.escape_keys(menu)
    account = ctx.state.account or (yield from by_caller_id(ctx, menu))
    if account is None:
        ctx.step(menu, event="outage_not_identified")
        key = yield from ctx.play_all(action.prompts, escape)
        if key is not None:
            return Stay(pending=key)
        if action.prompts:
            ctx.state.served = True  # the area-wide status was heard
        start = offer_key(menu)
        if start is None:  # every digit is an option here: no keypad entry to offer
            return Stay()
        keys = "".join(sorted({*escape, start}))
        key = yield from ctx.play_all(
            ("outage_not_identified", "identify_press", f"digits/{start}"), keys
        )
        if key is None:
            key = yield from ctx.wait_digit(menu.timeout_ms)
        if key != start:
            return Stay(pending=key if key is not None and key in escape else None)
        account = yield from identify(ctx, menu)
        if account is None:
            return (yield from to_operator(ctx, action.topic or menu.topic, forced=True))
    report = yield from look_up(ctx, account)
    if report is None:
        ctx.step(menu, event="outage_unavailable")
        key = yield from ctx.play_all(("outage_unavailable", "outage_offer_operator"), escape)
        return Stay(pending=key)
    key = yield from say_status(ctx, report, account, escape, menu)
    if key is not None:
        return Stay(pending=key)
    ctx.state.served = True
    report_key = _report_key(menu)
    tz = ctx.config.company.tz
    if report_key and not report.explains_no_power(account.groups, ctx.clock(), tz):
        # nothing known explains a caller's blackout: say which key reports one
        key = yield from ctx.play_all(("outage_offer_report", f"digits/{report_key}"), escape)
        return Stay(pending=key)
    return Stay()


def _report_key(menu: Menu) -> str | None:
    """The one-digit key of the menu's ``outage_report`` option, if it has one."""
    return next(
        (k for k, o in menu.options.items() if o.kind == "outage_report" and len(k) == 1), None
    )


def look_up(
    ctx: FlowContext, account: Account
) -> Generator[Request, Response, OutageReport | None]:
    """The outage report of the account's address now; None when the look-up failed or was
    late (the call's error says which)."""
    result = yield from ctx.effect(LookUpOutages(account=account, at=ctx.clock()))
    if not result.ok or not isinstance(result.value, OutageReport):
        ctx.fail(f"outage look-up: {result.error or 'no report'}")
        return None
    return result.value


def say_status(
    ctx: FlowContext, report: OutageReport, account: Account, escape: str, menu: Menu
) -> Generator[Request, Response, str | None]:
    """Say what the report knows about the account's address; a key pressed meanwhile.
    The path notes whether it was old data and whether anything was known there."""
    config = ctx.config
    items = plan_status(
        report,
        account,
        ctx.clock(),
        config.company.tz,
        timedelta(minutes=config.outages.max_age_minutes),
    )
    if "outage_data_stale" in items:
        ctx.step(menu, event="outage_data_stale")
    ctx.step(menu, event="outage_none" if "outage_none" in items else "outage_known")
    for item in items:
        key = yield from (
            ctx.play(item, escape) if isinstance(item, str) else ctx.say(item, escape)
        )
        if key is not None:
            return key
    return None


#: What the path notes (``ivr test --coverage``): identification, and what was said.
EVENTS = (
    *IDENTIFY_EVENTS,
    "outage_not_identified",
    "outage_unavailable",
    "outage_data_stale",
    "outage_none",
    "outage_known",
)

SPEC = ActionSpec(
    "outage_status",
    OutageStatusAction,
    parse,
    handle,
    required=("topic",),
    optional=("prompts",),
    events=EVENTS,
)
