"""The JSON Schema of ``config.yaml`` and of the directory file, for editors.

Built from the declarations the loader itself reads, never written by hand: the sections and
their keys, ranges and patterns of :mod:`ivr.config.schema` (kinds of :mod:`ivr.config.kinds`),
and for menu options the registry's action ``SPEC``s with ``OPTION_FIELDS``. ``ivr schema``
writes the files to ``schema/``; a test fails when the published ones are stale.

Validation stays the loader's (its messages carry FILE:LINE and check what a schema cannot:
references to prompts, menus, topics and redirects, overlapping hours, reachability). The
schema is draft-07, which yaml-language-server (VS Code's YAML extension and others) reads; an
option key an action does not use is a warning in the loader and a ``deprecationMessage`` here
(shown as a warning by that language server, ignored by plain validators).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ivr.actions.base import ActionSpec
from ivr.actions.registry import OPTION_KEYS, SPECS, option_field
from ivr.config.kinds import (
    AnyOf,
    Choice,
    Const,
    Date,
    Field,
    Flag,
    Keyed,
    KeypadKey,
    Kind,
    ListOf,
    Nothing,
    Number,
    Option,
    Phone,
    PromptId,
    PromptList,
    Section,
    Text,
    TopicCode,
)
from ivr.config.schema import (
    CODE_RE,
    DATE_RE,
    DIRECTORY,
    KEY_RE,
    NAME_RE,
    PHONE_RE,
    ROOT,
)

DRAFT = "http://json-schema.org/draft-07/schema#"
#: the published files' folder, relative to the repository
DEFAULT_DIR = "schema"
REGENERATE = "ivr schema"

Schema = dict[str, Any]


def _string(pattern: str, **extra: Any) -> Schema:
    return {"type": "string", "pattern": pattern, **extra}


def kind_schema(kind: Kind) -> Schema:
    """The JSON Schema of one kind (without the field's description)."""
    result = _kind_schema(kind)
    if kind.description:
        result["description"] = kind.description
    return result


def _kind_schema(kind: Kind) -> Schema:
    if isinstance(kind, Text):
        result = _string(kind.pattern.pattern if kind.pattern else r"\S")
        if kind.examples:
            result["examples"] = list(kind.examples)
        return result
    if isinstance(kind, PromptId):
        return _string(NAME_RE.pattern, description="a prompt id of the prompt texts file")
    if isinstance(kind, PromptList):
        items: Schema = {"type": "array", "items": kind_schema(PromptId())}
        return items if kind.allow_empty else {**items, "minItems": 1}
    if isinstance(kind, Phone):
        return _string(PHONE_RE.pattern, description="a phone number in quotes: digits, '+'")
    if isinstance(kind, KeypadKey):
        return {
            "anyOf": [
                _string(KEY_RE.pattern, description='a keypad key in quotes, e.g. "0"'),
                {"type": "integer", "minimum": 0, "maximum": 9},
            ]
        }
    if isinstance(kind, TopicCode):
        return _string(CODE_RE.pattern, description="a topic code of the company's catalogue")
    if isinstance(kind, Flag):
        return {"type": "boolean"}
    if isinstance(kind, Date):
        return _string(DATE_RE.pattern, description="a date YYYY-MM-DD")
    if isinstance(kind, Number):
        low, high = kind.bounds
        return {
            "type": "integer" if kind.integer else "number",
            "minimum": low,
            "maximum": high,
        }
    if isinstance(kind, Choice):
        return {"type": "string", "enum": list(kind.values)}
    if isinstance(kind, Const):
        return {"const": kind.value}
    if isinstance(kind, Nothing):
        return {"type": "null"}
    if isinstance(kind, ListOf):
        result = {"type": "array", "items": kind_schema(kind.item)}
        if kind.min_items:
            result["minItems"] = kind.min_items
        return result
    if isinstance(kind, Keyed):
        result = {
            "type": "object",
            "propertyNames": kind_schema(kind.keys),
            "additionalProperties": kind_schema(kind.values),
        }
        if kind.min_items:
            result["minProperties"] = kind.min_items
        return result
    if isinstance(kind, AnyOf):
        return {"anyOf": [kind_schema(k) for k in kind.options]}
    if isinstance(kind, Option):
        return {"$ref": "#/definitions/" + ("branch_option" if kind.branch else "option")}
    if isinstance(kind, Section):
        return section_schema(kind)
    raise TypeError(f"no JSON Schema for {kind!r}")


def _range(kind: Kind) -> str:
    if isinstance(kind, Number):
        low, high = kind.bounds
        return f"{low} to {high}{kind.unit}"
    return ""


def field_schema(field: Field) -> Schema:
    result = kind_schema(field.kind)
    words = [w for w in (field.description or result.get("description"), _range(field.kind)) if w]
    if words:  # the field's own words, else the kind's
        result["description"] = "; ".join(words)
    if field.default is not None:
        result["default"] = field.default
    return result


def section_schema(section: Section) -> Schema:
    result: Schema = {
        "type": "object",
        "properties": {f.name: field_schema(f) for f in section.fields},
        "additionalProperties": False,
    }
    if section.required:
        result["required"] = list(section.required)
    if section.max_keys is not None:
        result["minProperties"] = 1
        result["maxProperties"] = section.max_keys
    return result


def action_description(spec: ActionSpec) -> str:
    """The first paragraph of the action's module docstring, without its ``action: x``."""
    doc = sys.modules[spec.type.__module__].__doc__ or ""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    prefix = f"``action: {spec.kind}``: "
    return first.removeprefix(prefix).replace("``", "`")


def option_variant(spec: ActionSpec) -> Schema:
    used = (*spec.required, *spec.optional)
    properties: Schema = {
        "action": {"const": spec.kind, "description": action_description(spec)},
    }
    for key in used:
        properties[key] = field_schema(option_field(spec, key))
    uses = ", ".join(("action", *used))
    for key in OPTION_KEYS:
        if key not in properties:  # the loader warns and ignores it
            properties[key] = {
                "deprecationMessage": f"'{key}' is not used by action '{spec.kind}' (it uses "
                f"{uses})",
                "doNotSuggest": True,
            }
    return {
        "type": "object",
        "properties": properties,
        "required": ["action", *spec.required],
        "additionalProperties": False,
    }


def option_schema() -> Schema:
    """A menu option: one variant per action, told apart by ``action``."""
    specs = list(SPECS.values())
    return {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {
                "enum": [s.kind for s in specs],
                "description": "what the key does",
            }
        },
        "oneOf": [option_variant(s) for s in specs],
    }


def _document(title: str, section: Section, **extra: Any) -> Schema:
    return {
        "$schema": DRAFT,
        "title": title,
        "description": section.description,
        **section_schema(section),
        **extra,
    }


def config_schema() -> Schema:
    """The schema of config.yaml and of every profile file."""
    return _document(
        "ivr configuration (config.yaml)",
        ROOT,
        definitions={
            "option": option_schema(),
            "branch_option": {  # inside when_open
                "allOf": [
                    {"$ref": "#/definitions/option"},
                    {
                        "properties": {
                            "action": {
                                "not": {"const": "when_open"},
                                "description": "a when_open branch cannot be another when_open",
                            }
                        }
                    },
                ]
            },
        },
    )


def directory_schema() -> Schema:
    """The schema of the directory file (``directory:`` in config.yaml)."""
    return _document("ivr directory of companies", DIRECTORY)


FILES: dict[str, Callable[[], Schema]] = {
    "config.schema.json": config_schema,
    "directory.schema.json": directory_schema,
}


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale_files(folder: Path) -> list[Path]:
    """The published schema files in ``folder`` that differ from freshly built ones."""
    stale = []
    for name, build in FILES.items():
        path = folder / name
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != render(build()):
            stale.append(path)
    return stale


def write_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in FILES.items():
        path = folder / name
        path.write_text(render(build()), encoding="utf-8")
        written.append(path)
    return written
