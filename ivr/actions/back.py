"""``action: back``: go back to the previous menu (from the entry menu: hear it again)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import GoBack, Steps


@dataclass(frozen=True, kw_only=True)
class BackAction(Action):
    kind: ClassVar[str] = "back"


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> BackAction:
    return BackAction()


def handle(action: BackAction, ctx: FlowContext, menu: Menu) -> Steps:
    yield from ()
    return GoBack()


SPEC = ActionSpec("back", BackAction, parse, handle)
