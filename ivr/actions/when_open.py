"""``action: when_open``: one option when the operators are at work, another when not.

``{action: when_open, open: {action: operator, topic: S1}, closed: {action: announce,
prompts: [...], topic: S1}}``: the company's working hours (exceptions included) at the
moment the caller chooses decide; each branch is an ordinary option, validated like one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import Steps

BRANCHES = ("open", "closed")


@dataclass(frozen=True, kw_only=True)
class WhenOpenAction(Action):
    kind: ClassVar[str] = "when_open"
    open: Action  # in working hours
    closed: Action  # outside them


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> WhenOpenAction | None:
    branches: dict[str, Action] = {}
    for name in BRANCHES:
        where = (*path, name)
        branch = p.sub_option(where, data[name])
        if isinstance(branch, WhenOpenAction):
            p.report((*where, "action"), "a when_open branch cannot be another when_open")
        elif branch is not None:
            branches[name] = branch
    if len(branches) < len(BRANCHES):
        return None
    return WhenOpenAction(open=branches["open"], closed=branches["closed"])


def handle(action: WhenOpenAction, ctx: FlowContext, menu: Menu) -> Steps:
    company = ctx.config.company
    is_open = company.working_hours.is_open(ctx.clock(), company.tz)
    branch = action.open if is_open else action.closed
    ctx.step(menu, action=branch.kind, event="open" if is_open else "closed")
    if branch.topic:
        ctx.state.topic = branch.topic
    return (yield from ctx.run_option(branch, menu))


SPEC = ActionSpec(
    "when_open", WhenOpenAction, parse, handle, required=("open", "closed"), optional=("topic",)
)
