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
from ivr.config.kinds import Choice, Field, Option, Phone, PromptList, Text, TopicCode

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

#: What each option key holds (an action's ``SPEC.fields`` may say otherwise for its own):
#: the JSON Schema's menu options (``ivr.config.json_schema``) are built from these and SPECS.
OPTION_FIELDS: dict[str, Field] = {
    field.name: field
    for field in (
        Field("menu", Text(), "the menu to go to"),
        Field("prompts", PromptList(), "prompt ids, played in order, e.g. [tariffs]"),
        Field("number", Phone(), 'the number to transfer to, in quotes: "0800000373"'),
        Field("to", Text(), "a redirect of the redirects section (without: the directory)"),
        Field("topic", TopicCode(), "what the call is about: a code of the catalogue"),
        Field("then", Choice(values=announce.THEN_VALUES), "after the prompts: menu or hangup"),
        Field("question", outage_report.QUESTION, "asked before the report is registered"),
        *(
            Field(name, Option(branch=True), f"the option {when}")
            for name, when in zip(
                when_open.BRANCHES, ("in working hours", "outside them"), strict=True
            )
        ),
    )
}


def option_field(spec: ActionSpec, key: str) -> Field:
    """What option key ``key`` holds for the action of ``spec``."""
    own = {field.name: field for field in spec.fields}
    return own.get(key) or OPTION_FIELDS[key]


def spec_for(action: Action) -> ActionSpec:
    return SPECS[action.kind]
