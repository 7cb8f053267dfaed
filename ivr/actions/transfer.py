"""``action: transfer``: hand the call to a number (the dialplan dials it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.config.model import Menu
from ivr.flow.context import FlowContext
from ivr.flow.next import End, Steps
from ivr.store.records import Outcome, Result


@dataclass(frozen=True, kw_only=True)
class TransferAction(Action):
    kind: ClassVar[str] = "transfer"
    number: str


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> TransferAction | None:
    number = p.phone((*path, "number"), data["number"])
    return None if number is None else TransferAction(number=number)


def handle(action: TransferAction, ctx: FlowContext, menu: Menu) -> Steps:
    yield from ()
    return End(Result.TRANSFER, Outcome.TRANSFERRED, action.number)


SPEC = ActionSpec("transfer", TransferAction, parse, handle, required=("number", "topic"))
