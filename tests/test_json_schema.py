"""The published JSON Schema (schema/*.json, ``ivr schema``): fresh, valid, taking the shipped
files, and agreeing with the loader on broken ones.

The schema sees a file as a YAML editor does: standard YAML (an unquoted ``12:`` is the number
12) with dates left as text (YAML 1.2, as yaml-language-server reads them).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from test_config import SHIPPED, SUPPLIER, make_config

from ivr.actions.registry import OPTION_KEYS, SPECS, option_field
from ivr.cli import main
from ivr.config import validate_file
from ivr.config.json_schema import FILES, REGENERATE, render, stale_files
from ivr.config.kinds import (
    AnyOf,
    Choice,
    Flag,
    Keyed,
    Kind,
    ListOf,
    Number,
    Option,
    Phone,
    PromptId,
    PromptList,
    Section,
    Text,
    TopicCode,
)
from ivr.config.schema import DIRECTORY as DIRECTORY_ROOT
from ivr.config.schema import ROOT

REPO = Path(__file__).resolve().parents[1]
SCHEMA_DIR = REPO / "schema"
DIRECTORY = REPO / "examples" / "directory.yaml"
PROMPTS = REPO / "prompts" / "uk.yaml"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


class _EditorLoader(yaml.SafeLoader):
    """Standard YAML without timestamps: a date stays the text written."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def editor_view(text: str) -> Any:
    return yaml.load(text, Loader=_EditorLoader)  # noqa: S506 (a SafeLoader)


def validator(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


CONFIG = validator("config.schema.json")


def schema_errors(text: str, name: str = "config.schema.json") -> list[str]:
    check = CONFIG if name == "config.schema.json" else validator(name)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in check.iter_errors(editor_view(text))
    ]


def loader_errors(path: Path) -> list[str]:
    return [str(p) for p in validate_file(path) if p.is_error]


# -- published, fresh, valid ---------------------------------------------------------------


def test_the_published_schema_files_are_the_ones_built_now() -> None:
    stale = stale_files(SCHEMA_DIR)
    assert not stale, (
        f"stale JSON Schema {[str(p) for p in stale]}: the definitions changed; run "
        f"'{REGENERATE}' in the repository root and commit schema/"
    )


def test_the_schemas_are_valid_draft_7() -> None:
    for name, build in FILES.items():
        jsonschema.Draft7Validator.check_schema(build())
        assert json.loads(render(build())) == build(), name


def test_ivr_schema_writes_the_files_and_check_finds_them_fresh(tmp_path: Path) -> None:
    runner = CliRunner()
    stale = runner.invoke(main, ["schema", "--check", "--out", str(tmp_path)])
    assert stale.exit_code == 1
    assert "stale or missing; run 'ivr schema --out" in stale.output
    written = runner.invoke(main, ["schema", "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    for name in FILES:
        assert (tmp_path / name).read_text(encoding="utf-8") == (SCHEMA_DIR / name).read_text(
            encoding="utf-8"
        )
    fresh = runner.invoke(main, ["schema", "--check", "--out", str(tmp_path)])
    assert fresh.exit_code == 0 and "up to date" in fresh.output


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (SHIPPED, "config.schema.json"),
        (SUPPLIER, "config.schema.json"),
        (DIRECTORY, "directory.schema.json"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_a_shipped_file_names_its_schema_on_its_first_line_and_takes_it(
    path: Path, name: str
) -> None:
    text = path.read_text(encoding="utf-8")
    match = MODELINE.match(text.splitlines()[0])
    assert match, f"{path.name} must start with '# yaml-language-server: $schema=...'"
    assert (path.parent / match.group(1)).resolve() == SCHEMA_DIR / name
    assert schema_errors(text, name) == []


# -- broken copies: the schema and the loader both refuse ----------------------------------

OUTAGES_OPTION = '"1": {action: menu, menu: outages}'

BROKEN = {
    "unknown key": ("  queue: dso-callcentre", "  queue: dso-callcentre\n  queue_name: x"),
    "wrong type": ("  timeout: 6 ", '  timeout: "six" '),
    "unquoted key read as a number": (OUTAGES_OPTION, "12: {action: menu, menu: outages}"),
    "bad action name": (OUTAGES_OPTION, '"1": {action: menuu, menu: outages}'),
    "missing required key of the action": (OUTAGES_OPTION, '"1": {action: menu}'),
    "missing required key of a section": ("  farewell_prompt: goodbye\n", ""),
    "key out of range": ("  server_id: 1", "  server_id: 100"),
    "a phone number unquoted": ('national_number: "0800000300"', "national_number: 800000300"),
    "an unknown role": ("  role: dso", "  role: distributor"),
    "a nested when_open": (
        OUTAGES_OPTION,
        '"1": {action: when_open, open: {action: when_open, open: {action: back}, '
        "closed: {action: back}}, closed: {action: back}}",
    ),
}


@pytest.mark.parametrize("edit", list(BROKEN.values()), ids=list(BROKEN))
def test_a_broken_copy_is_refused_by_the_schema_and_by_the_loader(
    tmp_path: Path, edit: tuple[str, str]
) -> None:
    path = make_config(tmp_path, edit)
    assert schema_errors(path.read_text(encoding="utf-8"))
    assert loader_errors(path)


def test_an_unused_option_key_is_a_warning_of_the_loader_and_a_deprecation_in_the_schema(
    tmp_path: Path,
) -> None:
    path = make_config(tmp_path, (OUTAGES_OPTION, '"1": {action: menu, menu: outages, to: x}'))
    warned = [str(p) for p in validate_file(path)]
    assert any("'to' is not used by action 'menu'" in w for w in warned), warned
    assert loader_errors(path) == []
    variant = next(
        v
        for v in CONFIG.schema["definitions"]["option"]["oneOf"]
        if v["properties"]["action"]["const"] == "menu"
    )
    assert variant["properties"]["to"]["deprecationMessage"].startswith(
        "'to' is not used by action 'menu' (it uses action, menu, topic)"
    )


def test_an_unquoted_single_digit_key_is_taken_by_the_loader_but_not_by_the_schema(
    tmp_path: Path,
) -> None:
    """Known difference: the loader takes ``1:`` (it reads the key as written); the schema
    asks for quotes on every keypad key, as the shipped files' comments do."""
    path = make_config(tmp_path, (OUTAGES_OPTION, "1: {action: menu, menu: outages}"))
    assert loader_errors(path) == []
    assert schema_errors(path.read_text(encoding="utf-8"))


# -- every key of the shipped files: a wrong value or an unknown key, refused by both ------

BOGUS = "zz_bogus"


def wrong_value(kind: Kind) -> Any:
    """A value of the wrong type for ``kind`` (None when there is no simple one)."""
    if isinstance(kind, Number):
        return "many"
    if isinstance(kind, Flag):
        return "maybe"
    if isinstance(kind, Text | PromptId | Phone | TopicCode | Choice):
        return {"a": 1}
    if isinstance(kind, PromptList | ListOf | Section | Keyed):
        return 5
    return None


Mutation = tuple[str, tuple[Any, ...], Any]  # (what, path, new value; None: delete the key)


def mutations(kind: Kind, value: Any, path: tuple[Any, ...] = ()) -> Iterator[Mutation]:
    """One broken variant per key found in ``value`` (read as ``kind``)."""
    if isinstance(kind, AnyOf):
        for option in kind.options:
            if isinstance(option, Section) and isinstance(value, dict):
                yield from mutations(option, value, path)
        return
    if isinstance(kind, Option) and isinstance(value, dict):
        yield from option_mutations(value, path)
        return
    if isinstance(kind, ListOf) and isinstance(value, list) and value:
        yield from mutations(kind.item, value[0], (*path, 0))
        return
    if isinstance(kind, Keyed) and isinstance(value, dict) and value:
        first = next(iter(value))
        yield from mutations(kind.values, value[first], (*path, first))
        return
    if not isinstance(kind, Section) or not isinstance(value, dict):
        return
    yield "unknown key", (*path, BOGUS), 1
    for field in kind.fields:
        if field.name not in value:
            continue
        if field.required:
            yield "missing", (*path, field.name), None
        yield from bad_values(field.kind, (*path, field.name))
        yield from mutations(field.kind, value[field.name], (*path, field.name))


def bad_values(kind: Kind, path: tuple[Any, ...]) -> Iterator[Mutation]:
    """A wrong type; a number out of range; a text off its pattern; a word not a choice."""
    bad = wrong_value(kind)
    if bad is not None:
        yield "wrong type", path, bad
    if isinstance(kind, Number):
        yield "out of range", path, kind.bounds[1] + 1
    if isinstance(kind, PromptId | Phone | TopicCode) or (isinstance(kind, Text) and kind.pattern):
        yield "off its pattern", path, "no such, value"
    if isinstance(kind, Choice):
        yield "not a choice", path, "zz_choice"


def option_mutations(value: dict[str, Any], path: tuple[Any, ...]) -> Iterator[Mutation]:
    yield "unknown key", (*path, BOGUS), 1
    yield "unknown action", (*path, "action"), "zz_action"
    spec = SPECS[value["action"]]
    for key in spec.required:
        yield "missing", (*path, key), None
    for key in (*spec.required, *spec.optional):
        if key in value:
            field = option_field(spec, key)
            yield from bad_values(field.kind, (*path, key))
            yield from mutations(field.kind, value[key], (*path, key))


def applied(data: Any, path: tuple[Any, ...], new: Any) -> Any:
    result = copy.deepcopy(data)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if new is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return result


def standalone(source: Path) -> dict[str, Any]:
    """``source`` read as an editor does, with its prompts and directory by absolute path and
    no profiles (each file is checked alone)."""
    data = editor_view(source.read_text(encoding="utf-8"))
    data["prompts"]["texts"] = str(PROMPTS)
    data["directory"] = str(DIRECTORY)
    data.pop("profiles", None)
    return data


def dump(data: Any, path: Path) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def disagreements(
    data: Any, found: list[Mutation], file: Path, check: jsonschema.Draft7Validator, config: Path
) -> list[str]:
    """Each mutation of ``data`` written to ``file``: where the schema and the loader (run on
    ``config``) do not both refuse it."""
    result = []
    for what, where, new in found:
        broken = applied(data, where, new)
        dump(broken, file)
        by_schema = bool(list(check.iter_errors(broken)))
        by_loader = bool(loader_errors(config))
        if by_schema != by_loader:
            dotted = ".".join(map(str, where))
            result.append(f"{what} at {dotted}: schema {by_schema}, loader {by_loader}")
    return result


@pytest.mark.parametrize("source", [SHIPPED, SUPPLIER], ids=lambda p: p.name)
def test_every_key_broken_is_refused_by_the_schema_and_by_the_loader(
    tmp_path: Path, source: Path
) -> None:
    data = standalone(source)
    path = tmp_path / "config.yaml"
    dump(data, path)
    assert loader_errors(path) == [] and schema_errors(path.read_text(encoding="utf-8")) == []
    found = list(mutations(ROOT, data))
    assert len(found) > 50
    assert disagreements(data, found, path, CONFIG, path) == []


def test_every_key_of_the_directory_broken_is_refused_by_the_schema_and_by_the_loader(
    tmp_path: Path,
) -> None:
    companies = editor_view(DIRECTORY.read_text(encoding="utf-8"))
    file = tmp_path / "directory.yaml"
    config = standalone(SHIPPED)
    config["directory"] = str(file)
    path = tmp_path / "config.yaml"
    dump(config, path)
    found = list(mutations(DIRECTORY_ROOT, companies))
    assert len(found) > 10
    check = validator("directory.schema.json")
    assert disagreements(companies, found, file, check, path) == []


def test_every_option_key_has_a_declared_value() -> None:
    for spec in SPECS.values():
        for key in (*spec.required, *spec.optional):
            assert key in OPTION_KEYS
            assert option_field(spec, key).name == key
