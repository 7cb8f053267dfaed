"""``action: menu``: go into a submenu."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import GoTo, Steps


@dataclass(frozen=True, kw_only=True)
class MenuAction(Action):
    kind: ClassVar[str] = "menu"
    menu: str  # the target menu's name


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> MenuAction | None:
    target = p.menu_ref((*path, "menu"), data["menu"])
    return None if target is None else MenuAction(menu=target)


def handle(action: MenuAction, ctx: FlowContext, menu: Menu) -> Steps:
    yield from ()
    return GoTo(action.menu)


SPEC = ActionSpec("menu", MenuAction, parse, handle, required=("menu",), optional=("topic",))
