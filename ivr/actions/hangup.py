"""``action: hangup``: say goodbye (its own prompts, or the farewell) and end the call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.kinds import Field, PromptList
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import Steps


@dataclass(frozen=True, kw_only=True)
class HangupAction(Action):
    kind: ClassVar[str] = "hangup"
    prompts: tuple[str, ...] = ()  # empty: the configured farewell


#: its own prompts may be an empty list (the configured farewell)
PROMPTS = PromptList(allow_empty=True)


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> HangupAction | None:
    if "prompts" not in data:
        return HangupAction()
    prompts = p.prompt_list((*path, "prompts"), data["prompts"], allow_empty=PROMPTS.allow_empty)
    return None if prompts is None else HangupAction(prompts=prompts)


def handle(action: HangupAction, ctx: FlowContext, menu: Menu) -> Steps:
    ctx.state.served = True
    return (yield from ctx.goodbye(action.prompts))


SPEC = ActionSpec(
    "hangup",
    HangupAction,
    parse,
    handle,
    optional=("prompts", "topic"),
    fields=(Field("prompts", PROMPTS, "its own goodbye ([]: defaults.farewell_prompt)"),),
)
