"""``action: repeat``: hear this menu again, its full greeting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import Replay, Steps


@dataclass(frozen=True, kw_only=True)
class RepeatAction(Action):
    kind: ClassVar[str] = "repeat"


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> RepeatAction:
    return RepeatAction()


def handle(action: RepeatAction, ctx: FlowContext, menu: Menu) -> Steps:
    yield from ()
    return Replay()


SPEC = ActionSpec("repeat", RepeatAction, parse, handle)
