"""Every action kind, by its YAML name. A new action: its module, and one entry here."""

from __future__ import annotations

from ivr.actions import (
    announce,
    back,
    hangup,
    identify,
    main,
    menu,
    meter_reading,
    operator,
    outage_report,
    outage_status,
    redirect,
    repeat,
    transfer,
    when_open,
)
from ivr.actions.base import Action, ActionSpec

SPECS: dict[str, ActionSpec] = {
    spec.kind: spec
    for spec in (
        menu.SPEC,
        back.SPEC,
        main.SPEC,
        repeat.SPEC,
        announce.SPEC,
        operator.SPEC,
        transfer.SPEC,
        redirect.SPEC,
        hangup.SPEC,
        identify.SPEC,
        outage_status.SPEC,
        outage_report.SPEC,
        meter_reading.SPEC,
        when_open.SPEC,
    )
}

#: Every key an option may have: ``action`` and what any action uses.
OPTION_KEYS: tuple[str, ...] = (
    "action",
    *dict.fromkeys(key for spec in SPECS.values() for key in (*spec.required, *spec.optional)),
)


def spec_for(action: Action) -> ActionSpec:
    return SPECS[action.kind]
