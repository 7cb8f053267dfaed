"""``action: identify``: find out who calls (``ivr.flow.identify``): by caller ID, else by the
account number or EIC keyed in and confirmed; then back to the menu, or into ``menu`` if the
option names one. A caller who cannot be identified is handed to the operator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.actions.operator import to_operator
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.identify import EVENTS, PROMPTS, identify
from ivr.flow.next import GoTo, Stay, Steps


@dataclass(frozen=True, kw_only=True)
class IdentifyAction(Action):
    kind: ClassVar[str] = "identify"
    menu: str | None = None  # where to go once the caller is known (None: back to this menu)


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> IdentifyAction | None:
    if not p.prompts_exist((*path, "action"), PROMPTS, "identify"):
        return None
    if "menu" not in data:
        return IdentifyAction()
    target = p.menu_ref((*path, "menu"), data["menu"])
    return None if target is None else IdentifyAction(menu=target)


def handle(action: IdentifyAction, ctx: FlowContext, menu: Menu) -> Steps:
    account = yield from identify(ctx, menu)
    if account is None:
        return (yield from to_operator(ctx, action.topic or menu.topic, forced=True))
    return GoTo(action.menu) if action.menu else Stay()


SPEC = ActionSpec(
    "identify", IdentifyAction, parse, handle, optional=("menu", "topic"), events=EVENTS
)
