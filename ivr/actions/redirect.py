"""``action: redirect``: a misrouted caller hears the other company's contacts and is offered
a transfer there (the redirect's ``transfer_key``); a back key returns to the menu."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.back import BackAction
from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import End, Stay, Steps
from ivr.store.records import Outcome, Result

#: Times the offer ("press 1 to be connected") is made before saying goodbye.
REDIRECT_OFFERS = 2


@dataclass(frozen=True, kw_only=True)
class RedirectAction(Action):
    kind: ClassVar[str] = "redirect"
    redirect: str  # a key of ``Config.redirects`` (YAML: ``to``)


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> RedirectAction | None:
    name = p.redirect_ref((*path, "to"), data["to"])
    return None if name is None else RedirectAction(redirect=name)


def handle(action: RedirectAction, ctx: FlowContext, menu: Menu) -> Steps:
    redirect = ctx.config.redirects[action.redirect]
    back_keys = [key for key, option in menu.options.items() if isinstance(option, BackAction)]
    escape = redirect.transfer_key + "".join(back_keys)
    key = yield from ctx.play_all(redirect.prompts, escape)
    ctx.state.served = True
    for _ in range(REDIRECT_OFFERS):
        if key is None:
            key = yield from ctx.play(redirect.offer_prompt, escape)
        if key is None:
            key = yield from ctx.wait_digit(menu.timeout_ms)
        if key == redirect.transfer_key:
            ctx.step(menu, key=key, action="redirect_transfer")
            return End(Result.REDIRECT, Outcome.REDIRECTED, redirect.number)
        if key is not None and key in back_keys:
            ctx.step(menu, key=key, action="back")
            return Stay()
        key = None
    return (yield from ctx.goodbye((), Outcome.REDIRECTED))


SPEC = ActionSpec("redirect", RedirectAction, parse, handle, required=("to", "topic"))
