"""``action: redirect``: a misrouted caller hears that the question is the other company's
business, its name and number, and is offered a transfer there; a back key returns to the
menu.

Two forms: ``to: NAME`` names a fixed company of ``redirects``; without ``to`` the company is
found in the directory (``ivr.flow.misrouted``) for the role that handles the option's topic,
and the call record keeps its id. An area the directory does not cover hears the national
number (``misrouted.national_number``) or goes to the operator.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.back import BackAction
from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.actions.operator import to_operator
from ivr.config.model import Menu
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.identify import by_caller_id
from ivr.flow.misrouted import find_company
from ivr.flow.next import End, Next, Stay, Steps
from ivr.speech import plan_phone
from ivr.store.records import Outcome, Result

#: Times the offer ("press 1 to be connected") is made before saying goodbye.
REDIRECT_OFFERS = 2


@dataclass(frozen=True, kw_only=True)
class RedirectAction(Action):
    kind: ClassVar[str] = "redirect"
    redirect: str | None = None  # a key of ``Config.redirects`` (YAML: ``to``)
    role: str | None = None  # without ``to``: the directory's company of this role


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> RedirectAction | None:
    if "to" not in data:
        topic = data["topic"].strip() if isinstance(data["topic"], str) else None
        role = p.misrouted_role(path, topic)  # a bad topic is reported by the menu
        return None if role is None else RedirectAction(role=role)
    name = p.redirect_ref((*path, "to"), data["to"])
    return None if name is None else RedirectAction(redirect=name)


def handle(action: RedirectAction, ctx: FlowContext, menu: Menu) -> Steps:
    if action.role is not None:
        return (yield from _by_directory(action, action.role, ctx, menu))
    assert action.redirect is not None
    redirect = ctx.config.redirects[action.redirect]
    escape = redirect.transfer_key + "".join(_back_keys(menu))
    key = yield from ctx.play_all(redirect.prompts, escape)
    return (
        yield from _offer(
            ctx, menu, key, redirect.offer_prompt, redirect.transfer_key, redirect.number
        )
    )


def _by_directory(action: RedirectAction, role: str, ctx: FlowContext, menu: Menu) -> Steps:
    misrouted = ctx.config.misrouted
    assert misrouted is not None
    yield from by_caller_id(ctx, menu)  # cheap: the caller's number, no keypad
    target = yield from find_company(ctx, menu, role, misrouted)
    if target is None:
        ctx.step(menu, event="redirect_unknown_area")
        if misrouted.national_number is None:
            return (yield from to_operator(ctx, action.topic or menu.topic, forced=True))
        yield from ctx.play("misrouted_nobody")
        yield from ctx.say(plan_phone(misrouted.national_number))
        ctx.state.served = True
        return (yield from ctx.goodbye((), Outcome.REDIRECTED))
    entry = target.entry
    ctx.state.redirect_company = entry.id
    escape = misrouted.transfer_key + "".join(_back_keys(menu))
    prompts = (
        target.intro,
        entry.name_prompt,
        *((entry.info_prompt,) if entry.info_prompt else ()),
    )
    key = yield from ctx.play_all((*prompts, "misrouted_number"), escape)
    if key is None:
        key = yield from ctx.say(plan_phone(entry.number), escape)
    return (
        yield from _offer(
            ctx, menu, key, misrouted.offer_prompt, misrouted.transfer_key, entry.number
        )
    )


def _offer(
    ctx: FlowContext, menu: Menu, key: str | None, offer: str, transfer_key: str, number: str
) -> Generator[Request, Response, Next]:
    """Offer the transfer (twice); the transfer, back to the menu, or goodbye."""
    back_keys = _back_keys(menu)
    escape = transfer_key + "".join(back_keys)
    ctx.state.served = True
    for _ in range(REDIRECT_OFFERS):
        if key is None:
            key = yield from ctx.play(offer, escape)
        if key is None:
            key = yield from ctx.wait_digit(menu.timeout_ms)
        if key == transfer_key:
            ctx.step(menu, key=key, action="redirect_transfer")
            return End(Result.REDIRECT, Outcome.REDIRECTED, number)
        if key is not None and key in back_keys:
            ctx.step(menu, key=key, action="back")
            return Stay()
        key = None
    return (yield from ctx.goodbye((), Outcome.REDIRECTED))


def _back_keys(menu: Menu) -> list[str]:
    return [key for key, option in menu.options.items() if isinstance(option, BackAction)]


SPEC = ActionSpec(
    "redirect",
    RedirectAction,
    parse,
    handle,
    required=("topic",),
    optional=("to",),
    events=("identified_by_caller_id", "region_unknown", "redirect_unknown_area"),
)
