"""``action: main``: go to the entry menu."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import GoMain, Steps


@dataclass(frozen=True, kw_only=True)
class MainAction(Action):
    kind: ClassVar[str] = "main"


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> MainAction:
    return MainAction()


def handle(action: MainAction, ctx: FlowContext, menu: Menu) -> Steps:
    yield from ()
    return GoMain()


SPEC = ActionSpec("main", MainAction, parse, handle)
