"""``action: announce``: play information (tariffs, outages...), then back to the menu or
goodbye (``then: hangup``). A menu key pressed during it is the caller's next choice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import Stay, Steps

THEN_VALUES = ("menu", "hangup")


@dataclass(frozen=True, kw_only=True)
class AnnounceAction(Action):
    kind: ClassVar[str] = "announce"
    prompts: tuple[str, ...]
    then: str = "menu"  # "menu" (back to the menu) or "hangup"


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> AnnounceAction | None:
    prompts = p.prompt_list((*path, "prompts"), data["prompts"])
    then: str | None = "menu"
    if "then" in data:
        then = p.choice((*path, "then"), data["then"], THEN_VALUES, "(back to the menu) or")
    if prompts is None or then is None:
        return None
    return AnnounceAction(prompts=prompts, then=then)


def handle(action: AnnounceAction, ctx: FlowContext, menu: Menu) -> Steps:
    key = yield from ctx.play_all(action.prompts, ctx.escape_keys(menu))
    if key is not None:
        return Stay(pending=key)
    ctx.state.served = True
    if action.then == "hangup":
        return (yield from ctx.goodbye())
    return Stay()


SPEC = ActionSpec(
    "announce", AnnounceAction, parse, handle, required=("prompts", "topic"), optional=("then",)
)
