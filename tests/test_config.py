"""Config loading and validation: the shipped files, and one broken input per check.

Broken configs are made by editing a copy of the shipped config.yaml (so the tests follow the
real file); expected line numbers are looked up in the edited text, never hard-coded.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.actions.back import BackAction
from ivr.actions.main import MainAction
from ivr.actions.menu import MenuAction
from ivr.actions.operator import OperatorAction
from ivr.actions.redirect import RedirectAction
from ivr.actions.registry import spec_for
from ivr.actions.repeat import RepeatAction
from ivr.config import (
    ConfigError,
    Problem,
    Role,
    load_config,
    validate_file,
)
from ivr.config.yamlmap import load_yaml

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config.yaml"
SUPPLIER = REPO / "examples" / "supplier.yaml"
PROMPTS = REPO / "prompts" / "uk.yaml"
DIRECTORY = REPO / "examples" / "directory.yaml"

MAIN_REDIRECT = '"7": {action: redirect, topic: D11}'
OUTAGES_OPTION = '"1": {action: menu, menu: outages}'
CONNECTION_OPTION = '"4": {action: menu, menu: connection}'


def make_config(tmp_path: Path, *edits: tuple[str, str], source: Path = SHIPPED) -> Path:
    """Copy ``source`` (with ``edits`` applied), the prompt texts and the examples it names
    (the directory, the supplier profile) into ``tmp_path``, in the repository's layout."""
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"edit target must occur once in {source.name}: {old!r}"
        text = text.replace(old, new)
    prompts_dir = tmp_path / "prompts"
    prompts_dir.mkdir(exist_ok=True)
    shutil.copy(PROMPTS, prompts_dir / "uk.yaml")
    (tmp_path / "examples").mkdir(exist_ok=True)
    shutil.copy(DIRECTORY, tmp_path / "examples" / "directory.yaml")
    shutil.copy(SUPPLIER, tmp_path / "examples" / "supplier.yaml")  # the shipped one's profile
    target_dir = tmp_path / source.parent.relative_to(REPO)
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / source.name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``needle``."""
    found = [
        i
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if needle in line
    ]
    assert len(found) >= nth, f"{needle!r} not found {nth} time(s) in {path}"
    return found[nth - 1]


def errors(path: Path) -> list[str]:
    return [str(p) for p in validate_file(path) if p.is_error]


def warnings(path: Path) -> list[str]:
    return [str(p) for p in validate_file(path) if not p.is_error]


# -- the shipped files -------------------------------------------------------------------


def test_shipped_dso_config_has_no_problems_and_loads() -> None:
    assert [str(p) for p in validate_file(SHIPPED)] == []
    config = load_config(SHIPPED)
    assert config.company.role is Role.DSO
    assert config.company.working_hours.always
    assert config.company.timezone == "Europe/Kyiv"
    assert config.entry_menu == "main"
    assert config.prompts.sounds_dir == REPO / "prompts"
    assert config.prompts.file_for("goodbye") == str(REPO / "prompts" / "uk" / "goodbye")
    assert config.database_url == "sqlite:///ivr.sqlite3"
    assert config.redirects == {}
    assert config.menus["main"].options["7"] == RedirectAction(role="supplier", topic="D11")
    assert config.misrouted is not None and config.misrouted.regions["2"] == "chernihivska"
    assert [t.code for t in config.catalogues[Role.DSO]] == [
        *(f"D{i}" for i in range(1, 12)),
        "D99",
    ]
    assert [t.code for t in config.catalogues[Role.SUPPLIER]] == [
        *(f"S{i}" for i in range(1, 11)),
        "S99",
    ]


def test_shipped_dso_menus_follow_the_house_rules() -> None:
    config = load_config(SHIPPED)
    topics = config.topics
    main = config.menus["main"]
    for menu in config.menus.values():
        assert isinstance(menu.options["0"], OperatorAction)
        assert isinstance(menu.options["#"], RepeatAction)
        own = [k for k in menu.options if k not in ("0", "#", "*")]
        assert 1 <= len(own) <= 7, menu.name
        if menu is not main:
            assert isinstance(menu.options["*"], BackAction)
            # two levels at most: submenus lead to no further submenu
            assert not any(isinstance(a, MenuAction) for a in menu.options.values())
        for action in menu.options.values():
            if spec_for(action).needs_topic:
                assert action.topic in topics
    assert "*" not in main.options
    used = {a.topic for m in config.menus.values() for a in m.options.values()}
    # outages, quality, connection, meters/readings, contract/tariff, compensations, danger,
    # misrouted-to-supplier and "other" are all served; key 1 is "no power" (outages)
    assert main.options["1"] == MenuAction(menu="outages")
    assert config.menus["outages"].options["1"] == OperatorAction(topic="D10")
    assert {"D1", "D2", "D3", "D4", "D5", "D8", "D9", "D10", "D11", "D99"} <= used


def test_shipped_supplier_example_has_no_problems_and_loads() -> None:
    assert [str(p) for p in validate_file(SUPPLIER)] == []
    config = load_config(SUPPLIER)
    assert config.company.role is Role.SUPPLIER
    assert set(config.topics) == {*(f"S{i}" for i in range(1, 11)), "S99"}
    assert config.prompts.sounds_dir == REPO / "prompts"
    hours = config.company.working_hours
    kyiv = ZoneInfo("Europe/Kyiv")
    assert not hours.always
    assert hours.is_open(datetime(2025, 3, 3, 8, 0, tzinfo=kyiv), kyiv)  # Monday
    assert not hours.is_open(datetime(2025, 3, 3, 20, 0, tzinfo=kyiv), kyiv)
    assert hours.is_open(datetime(2025, 3, 8, 14, 59, tzinfo=kyiv), kyiv)  # Saturday
    assert not hours.is_open(datetime(2025, 3, 8, 15, 0, tzinfo=kyiv), kyiv)
    assert not hours.is_open(datetime(2025, 3, 9, 12, 0, tzinfo=kyiv), kyiv)  # Sunday
    assert config.menus["main"].options["6"] == RedirectAction(role="dso", topic="S10")


def test_relative_paths_resolve_against_the_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_config(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    assert config.prompts.sounds_dir == tmp_path / "prompts"
    assert config.prompts.texts["goodbye"] == "Дякуємо за дзвінок! До побачення."
    assert config.source == path


# -- YAML level --------------------------------------------------------------------------


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = make_config(tmp_path, (MAIN_REDIRECT, MAIN_REDIRECT.replace("{", "{,", 1)))
    line = line_of(path, '"7": {,')
    assert errors(path) == [
        f"{path}:{line}: menus.main.options: YAML syntax error: while parsing a flow node; "
        "expected the node content, but found ','"
    ]


def test_unquoted_star_key_gets_a_hint(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, ('"1": {action: operator, topic: D10}', "*: {action: operator, topic: D10}")
    )
    line = line_of(path, "*: {action: operator")
    (problem,) = errors(path)
    assert problem.startswith(f"{path}:{line}: menus.outages.options: YAML syntax error: ")
    assert problem.endswith("(keypad keys such as '*' and '#' must be quoted)")


def test_yaml_duplicate_keys_report_both_lines(tmp_path: Path) -> None:
    path = make_config(tmp_path, (MAIN_REDIRECT, f'"1": {{action: hangup}}\n      {MAIN_REDIRECT}'))
    first, second = line_of(path, OUTAGES_OPTION), line_of(path, '"1": {action: hangup}')
    assert errors(path) == [
        f"{path}:{second}: menus.main.options.1: duplicate key '1' (first at line {first}); "
        "YAML would silently keep only the last one"
    ]


def test_unquoted_and_quoted_key_are_duplicates(tmp_path: Path) -> None:
    path = make_config(tmp_path, (MAIN_REDIRECT, f"1: {{action: hangup}}\n      {MAIN_REDIRECT}"))
    first, second = line_of(path, OUTAGES_OPTION), line_of(path, "1: {action: hangup}")
    assert errors(path) == [
        f"{path}:{second}: menus.main.options.1: duplicate key '1' (first at line {first}); "
        "YAML would silently keep only the last one"
    ]


def test_unquoted_single_digit_key_is_accepted(tmp_path: Path) -> None:
    path = make_config(tmp_path, (MAIN_REDIRECT, MAIN_REDIRECT.replace('"7"', "7")))
    assert errors(path) == []
    assert load_config(path).menus["main"].options["7"].kind == "redirect"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("01", 'unquoted key 01 is read by YAML as 1; quote it: "01"'),
        ("12", 'unquoted key 12 is read by YAML as 12; quote it: "12"'),
        ('"1a"', "'1a' is not a keypad key: use 1 to 3 of 0-9, * and #"),
        ('"1234"', "'1234' is not a keypad key: use 1 to 3 of 0-9, * and #"),
    ],
)
def test_bad_option_keys(tmp_path: Path, key: str, message: str) -> None:
    option = f"{key}: {{action: hangup}}"
    path = make_config(tmp_path, (MAIN_REDIRECT, f"{option}\n      {MAIN_REDIRECT}"))
    line = line_of(path, f"{key}: {{action: hangup}}")
    assert errors(path) == [f"{path}:{line}: menus.main.options.{key.strip(chr(34))}: {message}"]


def test_multi_key_option_next_to_its_prefix_is_fine(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, (MAIN_REDIRECT, f'"21": {{action: hangup}}\n      {MAIN_REDIRECT}')
    )
    assert errors(path) == []
    assert {"2", "21"} <= set(load_config(path).menus["main"].options)


def test_commented_out_hash_key_is_warned_about(tmp_path: Path) -> None:
    path = make_config(tmp_path, (MAIN_REDIRECT, f"#: {{action: repeat}}\n      {MAIN_REDIRECT}"))
    line = line_of(path, "#: {action: repeat}")
    assert warnings(path) == [
        f"{path}:{line}: warning: this line is a YAML comment, so its '#' option is ignored; "
        'quote the key: "#":'
    ]


def test_yamlmap_lines_and_merge_keys() -> None:
    doc = load_yaml('a: &x {b: 1, c: "2"}\nd:\n  <<: *x\n  c: 3\n  e:\n    - f\n', "t.yaml")
    assert doc.problems == []
    assert doc.data == {"a": {"b": 1, "c": "2"}, "d": {"c": 3, "b": 1, "e": ["f"]}}
    assert doc.key_lines[("d", "c")] == 4
    assert doc.value_lines[("d", "e", 0)] == 6
    assert doc.line(("d", "e", 0, "nothing")) == 6


# -- types, unknown and missing keys ------------------------------------------------------


def test_wrong_types(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        ("  timeout: 6 ", '  timeout: "six" '),
        ("greeting: [welcome_dso, main_menu_dso]", "greeting: welcome_dso"),
        (
            """    options:
      "1": {action: announce, prompts: [connection_procedure], topic: D3}
      "2": {action: operator, topic: D3}""",
            "    options: [connection_procedure]",
        ),
    )
    six = line_of(path, 'timeout: "six"')
    assert errors(path) == [
        f"{path}:{six}: defaults.timeout: expected a number of seconds, got text 'six'",
        f"{path}:{line_of(path, 'greeting: welcome_dso')}: menus.main.greeting: "
        "expected a list of prompt ids, e.g. [welcome], got text 'welcome_dso'",
        f"{path}:{line_of(path, 'options: [connection_procedure]')}: menus.connection.options: "
        "expected a mapping of keypad key -> action, got a list",
    ]


def test_unquoted_phone_number_is_rejected(tmp_path: Path) -> None:
    path = make_config(tmp_path, ('- "0440000373"', "- 0440000373"))
    line = line_of(path, "- 0440000373")
    assert errors(path) == [
        f"{path}:{line}: company.dialled_numbers[1]: expected a phone number in quotes, got "
        "the number 75497723 (YAML drops leading zeros of unquoted numbers)"
    ]


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, ("short_greeting: [main_menu_dso]", "short_greting: [main_menu_dso]")
    )
    line = line_of(path, "short_greting")
    assert errors(path) == [
        f"{path}:{line}: menus.main.short_greting: unknown key 'short_greting'; "
        "did you mean 'short_greeting'?"
    ]


def test_missing_required_keys(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, ('  name: "ПрАТ «Демообленерго»"\n', ""), ("  farewell_prompt: goodbye\n", "")
    )
    assert errors(path) == [
        f"{path}:{line_of(path, 'company:')}: company: missing required key 'name'",
        f"{path}:{line_of(path, 'defaults:')}: defaults: missing required key 'farewell_prompt'",
    ]


def test_unknown_role(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("role: dso ", "role: dsoo"))
    assert errors(path) == [
        f"{path}:{line_of(path, 'role: dsoo')}: company.role: unknown role 'dsoo': "
        "use 'dso' or 'supplier'; did you mean 'dso'?"
    ]


def test_unknown_action(tmp_path: Path) -> None:
    path = make_config(tmp_path, (OUTAGES_OPTION, '"1": {action: menus, menu: outages}'))
    assert errors(path) == [
        f"{path}:{line_of(path, 'action: menus')}: menus.main.options.1.action: unknown action "
        "'menus': use one of menu, back, main, repeat, announce, operator, transfer, redirect, "
        "hangup, identify, outage_status, outage_report, meter_reading, when_open; did you mean "
        "'menu'?"
    ]


# -- references --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            OUTAGES_OPTION,
            '"1": {action: menu, menu: outage}',
            "menus.main.options.1.menu",
            "unknown menu 'outage'; did you mean 'outages'?",
        ),
        (
            "prompts: [readings_how]",
            "prompts: [reading_how]",
            "menus.meters.options.1.prompts[0]",
            "unknown prompt 'reading_how' (no text in {prompts}); did you mean 'readings_how'?",
        ),
        (
            "invalid_prompt: invalid_choice",
            "invalid_prompt: invalid_choise",
            "defaults.invalid_prompt",
            "unknown prompt 'invalid_choise' (no text in {prompts}); "
            "did you mean 'invalid_choice'?",
        ),
        (
            '"1": {action: operator, topic: D10}',
            '"1": {action: operator, topic: D13}',
            "menus.outages.options.1.topic",
            "unknown topic 'D13' (not in the dso catalogue); did you mean 'D3'?",
        ),
        (
            MAIN_REDIRECT,
            MAIN_REDIRECT.replace("redirect,", "redirect, to: suplier,"),
            "menus.main.options.7.to",
            "unknown redirect 'suplier': no redirects are defined",
        ),
    ],
)
def test_dangling_references(tmp_path: Path, old: str, new: str, where: str, message: str) -> None:
    path = make_config(tmp_path, (old, new))
    line = line_of(path, new.split(": ", 1)[-1])
    prompts = path.parent / "prompts" / "uk.yaml"
    found = [p for p in errors(path) if "not reachable" not in p]
    assert found == [f"{path}:{line}: {where}: {message.format(prompts=prompts)}"]


def test_topic_from_the_other_roles_catalogue(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, ('"1": {action: operator, topic: D10}', '"1": {action: operator, topic: S3}')
    )
    line = line_of(path, "topic: S3}")
    assert errors(path) == [
        f"{path}:{line}: menus.outages.options.1.topic: topic 'S3' is from the supplier catalogue; "
        "this company's role is dso"
    ]


def test_active_catalogue_missing(tmp_path: Path) -> None:
    path = make_config(tmp_path, source=SUPPLIER)
    text = path.read_text(encoding="utf-8")
    start = text.index("  supplier:\n    - {code: S1")
    end = text.index("  dso:\n    - {code: D1")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert errors(path)[0] == (
        f"{path}:{line_of(path, 'topics:')}: topics: missing the catalogue of the company's "
        "role: 'supplier'"
    )


def test_duplicate_topic_code(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        ('{code: D6, label: "Акти про порушення"', '{code: D5, label: "Акти про порушення"'),
    )
    first, second = line_of(path, "code: D5,"), line_of(path, "code: D5,", 2)
    assert errors(path) == [
        f"{path}:{second}: topics.dso[5].code: duplicate topic code 'D5' (first at line {first})"
    ]


# -- menus and options -------------------------------------------------------------------


def test_unreachable_menu(tmp_path: Path) -> None:
    path = make_config(tmp_path, (CONNECTION_OPTION, '"4": {action: operator, topic: D3}'))
    line = line_of(path, "  connection:")
    assert errors(path) == [
        f"{path}:{line}: menus.connection: menu 'connection' is not reachable from the entry "
        "menu 'main'"
    ]


def test_unknown_entry_menu(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("entry_menu: main", "entry_menu: mian"))
    assert errors(path) == [
        f"{path}:{line_of(path, 'entry_menu: mian')}: entry_menu: unknown menu 'mian'; "
        "did you mean 'main'?"
    ]


def test_missing_topic_on_announce(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, ("prompts: [outage_planned], topic: D1}", "prompts: [outage_planned]}")
    )
    line = line_of(path, "prompts: [outage_planned]}")
    assert errors(path) == [
        f"{path}:{line}: menus.outages.options.3: missing required key 'topic': action "
        "'announce' needs 'topic: <code>' (calls are counted by topic)"
    ]


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            '"4": {action: menu}',
            "missing required key 'menu': action 'menu' needs 'menu: <menu name>'",
        ),
        (
            '"4": {action: transfer, topic: D3}',
            "missing required key 'number': action 'transfer' needs 'number: \"<digits>\"'",
        ),
    ],
)
def test_options_that_lead_nowhere(tmp_path: Path, new: str, message: str) -> None:
    path = make_config(tmp_path, ('"4": {action: operator, topic: D8}', new))
    assert errors(path) == [f"{path}:{line_of(path, new)}: menus.contract.options.4: {message}"]


def test_a_redirect_needs_a_topic_of_the_other_company(tmp_path: Path) -> None:
    new = '"4": {action: redirect, topic: D8}'
    path = make_config(tmp_path, ('"4": {action: operator, topic: D8}', new))
    assert errors(path) == [
        f"{path}:{line_of(path, new)}: menus.contract.options.4.topic: topic 'D8' is this "
        "company's business (handled_by: dso); a redirect needs a topic handled by the other role"
    ]


def test_announce_without_prompts(tmp_path: Path) -> None:
    path = make_config(
        tmp_path, ("prompts: [outage_planned], topic: D1}", "prompts: [], topic: D1}")
    )
    assert errors(path) == [
        f"{path}:{line_of(path, 'prompts: [], topic: D1}')}: menus.outages.options.3.prompts: "
        "expected at least one prompt id"
    ]


def test_transfer_number_must_be_digits(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        (
            '"4": {action: operator, topic: D8}',
            '"4": {action: transfer, number: "0 800 00", topic: D3}',
        ),
    )
    line = line_of(path, 'number: "0 800 00"')
    assert errors(path) == [
        f"{path}:{line}: menus.contract.options.4.number: "
        "'0 800 00' is not a phone number: use digits only, optionally with a leading '+'"
    ]


def test_field_of_another_action_is_a_warning(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        ('"2": {action: operator, topic: D3}', '"2": {action: operator, topic: D3, then: hangup}'),
    )
    assert errors(path) == []
    assert warnings(path) == [
        f"{path}:{line_of(path, 'D3, then: hangup')}: menus.connection.options.2.then: warning: "
        "'then' is not used by action 'operator' (it uses action, topic)"
    ]


def test_menu_without_own_options_is_a_warning(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        (
            """    options:
      "1": {action: announce, prompts: [connection_procedure], topic: D3}
      "2": {action: operator, topic: D3}""",
            "    options: {}",
        ),
    )
    assert errors(path) == []
    assert warnings(path) == [
        f"{path}:{line_of(path, 'options: {}')}: menus.connection.options: warning: "
        "menu has no options of its own (only the default keys)"
    ]


# -- prompt texts file -------------------------------------------------------------------


def test_empty_prompt_text_is_reported_in_the_texts_file(tmp_path: Path) -> None:
    path = make_config(tmp_path)
    prompts = path.parent / "prompts" / "uk.yaml"
    text = prompts.read_text(encoding="utf-8")
    old = 'goodbye: "Дякуємо за дзвінок! До побачення."'
    assert text.count(old) == 1
    prompts.write_text(text.replace(old, 'goodbye: "   "'), encoding="utf-8")
    empty = line_of(prompts, "goodbye:")
    supplier = path.parent / "examples" / "supplier.yaml"  # its profile shares the texts
    assert errors(path) == [
        f"{path}:{line_of(path, 'farewell_prompt: goodbye')}: defaults.farewell_prompt: "
        f"prompt 'goodbye' has no text (see {prompts}:{empty})",
        f"{supplier}:{line_of(supplier, 'farewell_prompt: goodbye')}: defaults.farewell_prompt: "
        f"prompt 'goodbye' has no text (see {prompts}:{empty})",
        f"{prompts}:{empty}: goodbye: empty text",
    ]


def test_prompt_texts_file_yaml_error(tmp_path: Path) -> None:
    path = make_config(tmp_path)
    prompts = path.parent / "prompts" / "uk.yaml"
    prompts.write_text('goodbye: "До побачення\nnav_hint: x\n', encoding="utf-8")
    (problem,) = errors(path)
    assert problem.startswith(f"{prompts}:")
    assert "YAML syntax error" in problem


def test_missing_prompt_texts_file(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("texts: prompts/uk.yaml", "texts: prompts/ru.yaml"))
    missing = path.parent / "prompts" / "ru.yaml"
    assert errors(path) == [
        f"{path}:{line_of(path, 'texts: prompts/ru.yaml')}: prompts.texts: "
        f"prompt texts file '{missing}' not found"
    ]


# -- company: hours, timezone, numbers ---------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "where", "message"),
    [
        ('"08:00-25:00"', "mon-fri", "bad time '25:00' in '08:00-25:00': use 00:00 to 24:00"),
        (
            '"20:00-08:00"',
            "mon-fri",
            "opening time 20:00 is not before closing time 08:00 "
            "(split hours past midnight over two days)",
        ),
        (
            '"8-20"',
            "mon-fri",
            'bad hours \'8-20\': write them as "HH:MM-HH:MM", e.g. "08:00-20:00", or closed',
        ),
    ],
)
def test_bad_working_hours(tmp_path: Path, hours: str, where: str, message: str) -> None:
    path = make_config(tmp_path, ('mon-fri: "08:00-20:00"', f"mon-fri: {hours}"), source=SUPPLIER)
    line = line_of(path, f"mon-fri: {hours}")
    assert errors(path) == [f"{path}:{line}: company.working_hours.weekly.{where}: {message}"]


def test_unknown_day_in_working_hours(tmp_path: Path) -> None:
    path = make_config(tmp_path, ('sat: "09:00-15:00"', 'saturday: "09:00-15:00"'), source=SUPPLIER)
    line = line_of(path, "saturday:")
    assert errors(path) == [
        f"{path}:{line}: company.working_hours.weekly.saturday: unknown day 'saturday': use "
        "mon, tue, wed, thu, fri, sat, sun, daily, or a range such as mon-fri; did you mean 'sat'?"
    ]


def test_day_scheduled_twice(tmp_path: Path) -> None:
    path = make_config(tmp_path, ('sat: "09:00-15:00"', 'fri: "09:00-15:00"'), source=SUPPLIER)
    line = line_of(path, 'fri: "09:00')
    assert errors(path) == [
        f"{path}:{line}: company.working_hours.weekly.fri: 'fri' is already scheduled by 'mon-fri'"
    ]


def test_overlapping_hours_on_one_day(tmp_path: Path) -> None:
    edit = ('sat: "09:00-15:00"', 'sat: ["09:00-13:00", "12:30-15:00"]')
    path = make_config(tmp_path, edit, source=SUPPLIER)
    assert errors(path) == [
        f"{path}:{line_of(path, 'sat: [')}: company.working_hours.weekly.sat: opening hours "
        "overlap: 09:00-13:00 and 12:30-15:00"
    ]


@pytest.mark.parametrize(
    ("exception", "key", "message"),
    [
        (
            "2027-02-30: closed",
            "2027-02-30",
            "2027-02-30 is not a date that exists: day is out of range for month",
        ),
        (
            "2027-13-01: closed",
            "2027-13-01",
            "2027-13-01 is not a date that exists: month must be in 1..12",
        ),
        (
            '"1.01.2027": closed',
            "1.01.2027",
            "'1.01.2027' is not a date: write it as YYYY-MM-DD, e.g. 2027-01-01",
        ),
        (
            '2027-01-02: "17:00-08:00"',
            "2027-01-02",
            "opening time 17:00 is not before closing "
            "time 08:00 (split hours past midnight over two days)",
        ),
        (
            '2027-01-02: ["08:00-12:00", "11:00-14:00"]',
            "2027-01-02",
            "opening hours overlap: 08:00-12:00 and 11:00-14:00",
        ),
        (
            "2027-01-02: shut",
            "2027-01-02",
            'bad hours \'shut\': write them as "HH:MM-HH:MM", e.g. "08:00-20:00", or closed',
        ),
    ],
)
def test_bad_exceptions(tmp_path: Path, exception: str, key: str, message: str) -> None:
    edit = ("2027-01-01: closed", f"2027-01-01: closed\n      {exception}")
    path = make_config(tmp_path, edit, source=SUPPLIER)
    line = line_of(path, exception.split(":")[0])
    assert errors(path) == [f"{path}:{line}: company.working_hours.exceptions.{key}: {message}"]


def test_an_exception_listed_twice(tmp_path: Path) -> None:
    edit = ("2027-01-01: closed", '2027-01-01: closed\n      "2027-01-01": "10:00-12:00"')
    path = make_config(tmp_path, edit, source=SUPPLIER)
    first, second = line_of(path, "2027-01-01: closed"), line_of(path, '"2027-01-01"')
    assert errors(path) == [
        f"{path}:{second}: company.working_hours.exceptions.2027-01-01: duplicate key "
        f"'2027-01-01' (first at line {first}); YAML would silently keep only the last one"
    ]


def test_unknown_weekday_and_key_in_the_schedule(tmp_path: Path) -> None:
    edits = (("sun: closed", "sunday: closed"), ("    exceptions:", "    exception:"))
    path = make_config(tmp_path, *edits, source=SUPPLIER)
    problems = errors(path)
    assert problems[0] == (
        f"{path}:{line_of(path, 'sunday:')}: company.working_hours.weekly.sunday: unknown day "
        "'sunday': use mon, tue, wed, thu, fri, sat, sun, daily, or a range such as mon-fri; "
        "did you mean 'sun'?"
    )
    assert problems[1].startswith(
        f"{path}:{line_of(path, 'exception:')}: company.working_hours.exception: unknown key "
        "'exception'"
    )


def test_the_weekly_mapping_alone_still_works(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        ("working_hours: always", 'working_hours: {mon-fri: "08:00-20:00", sat: "09:00-15:00"}'),
    )
    config = load_config(path)
    hours = config.company.working_hours
    kyiv = ZoneInfo("Europe/Kyiv")
    assert hours.weekly[5] == ((time(9), time(15)),) and not hours.exceptions
    assert not hours.is_open(datetime(2026, 12, 6, 12, 0, tzinfo=kyiv), kyiv)


def test_the_supplier_example_keeps_a_holiday_and_a_shortened_day() -> None:
    hours = load_config(SUPPLIER).company.working_hours
    assert hours.exceptions == {date(2026, 12, 31): ((time(8), time(17)),), date(2027, 1, 1): ()}


def test_a_schedule_needs_the_prompts_that_say_the_hours(tmp_path: Path) -> None:
    path = make_config(tmp_path, source=SUPPLIER)
    prompts = tmp_path / "prompts" / "uk.yaml"
    text = prompts.read_text(encoding="utf-8")
    prompts.write_text(text.replace('hours_next: "Оператори працюватимуть"\n', ""), "utf-8")
    (problem,) = errors(path)
    assert problem.startswith(
        f"{path}:{line_of(path, 'working_hours:')}: company.working_hours: action 'operator' "
        "speaks it: "
    )
    assert "'hours_next'" in problem


def test_dso_with_a_schedule_is_warned(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("working_hours: always", 'working_hours: {daily: "08:00-20:00"}'))
    assert errors(path) == []
    assert warnings(path) == [
        f"{path}:{line_of(path, 'working_hours:')}: company.working_hours: warning: a DSO call "
        "centre must work 24/7 (Resolution 373): use 'always'"
    ]


def test_bad_timezone(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("timezone: Europe/Kyiv", "timezone: Europe/Kiyv"))
    assert errors(path) == [
        f"{path}:{line_of(path, 'timezone:')}: company.timezone: unknown timezone 'Europe/Kiyv'; "
        "did you mean 'Europe/Kyiv'?"
    ]


def test_timeouts_out_of_range(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        ("  timeout: 6 ", "  timeout: 61 "),
        ("inter_digit_timeout: 3 ", "inter_digit_timeout: 0.5 "),
        ("max_failures: 3 ", "max_failures: 11 "),
    )
    assert errors(path) == [
        f"{path}:{line_of(path, '  timeout: 61')}: defaults.timeout: 61 is out of range: "
        "use 1 to 60 seconds",
        f"{path}:{line_of(path, 'inter_digit_timeout: 0.5')}: defaults.inter_digit_timeout: 0.5 is "
        "out of range: use 1 to 10 seconds",
        f"{path}:{line_of(path, 'max_failures: 11')}: defaults.max_failures: 11 is out of range: "
        "use 1 to 10",
    ]


def test_dialled_numbers_empty(tmp_path: Path) -> None:
    path = make_config(tmp_path)
    text = re.sub(
        r"dialled_numbers:.*\n(    - .*\n)+",
        "dialled_numbers: []\n",
        path.read_text(encoding="utf-8"),
    )
    path.write_text(text, encoding="utf-8")
    assert errors(path) == [
        f"{path}:{line_of(path, 'dialled_numbers')}: company.dialled_numbers: list at least one "
        "number callers dial to reach this IVR"
    ]


# -- typed result: timeouts and default keys ---------------------------------------------


def test_timeouts_become_milliseconds_and_menus_may_override(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("    topic: D3\n", "    topic: D3\n    timeout: 2.5\n"))
    config = load_config(path)
    assert config.menus["main"].timeout_ms == 6000
    assert config.menus["main"].inter_digit_timeout_ms == 3000
    assert config.menus["main"].max_failures == 3
    assert config.menus["connection"].timeout_ms == 2500
    assert config.menus["main"].short_greeting == ("main_menu_dso",)
    assert config.menus["connection"].short_greeting == ("menu_connection",)  # = greeting


def test_default_keys_are_merged() -> None:
    config = load_config(SHIPPED)
    main, outages = config.menus["main"], config.menus["outages"]
    assert main.options["0"] == OperatorAction(topic="D99")
    assert outages.options["0"] == OperatorAction(topic="D1")
    assert outages.options["#"] == RepeatAction()
    assert outages.options["*"] == BackAction()
    assert "*" not in main.options  # no back key in the entry menu


def test_operator_key_falls_back_to_the_operator_topic(tmp_path: Path) -> None:
    path = make_config(tmp_path, ("    topic: D3\n", ""))
    assert load_config(path).menus["connection"].options["0"] == OperatorAction(topic="D99")


def test_default_key_disabled_by_null(tmp_path: Path) -> None:
    path = make_config(tmp_path, ('    repeat: "#"', "    repeat: null"))
    config = load_config(path)
    assert all("#" not in menu.options for menu in config.menus.values())
    assert config.menus["outages"].options["0"].kind == "operator"


def test_explicit_binding_wins_over_a_default_key(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        (
            '"2": {action: operator, topic: D3}',
            '"2": {action: operator, topic: D3}\n      "*": {action: main}',
        ),
    )
    config = load_config(path)
    assert config.menus["connection"].options["*"] == MainAction()
    assert config.menus["meters"].options["*"] == BackAction()


def test_default_keys_must_differ(tmp_path: Path) -> None:
    path = make_config(tmp_path, ('    back: "*"', '    back: "0"'))
    line = line_of(path, 'back: "0"')
    assert errors(path) == [
        f"{path}:{line}: defaults.keys.back: key '0' is already the operator key"
    ]


# -- problems and ConfigError ------------------------------------------------------------


def test_problem_str() -> None:
    assert str(
        Problem(
            "config.yaml",
            57,
            "menus.main.options.3.menu",
            "unknown menu 'outage'; did you mean 'outages'?",
        )
    ) == (
        "config.yaml:57: menus.main.options.3.menu: unknown menu 'outage'; did you mean 'outages'?"
    )
    assert str(Problem("config.yaml", None, "", "the file is empty")) == (
        "config.yaml: the file is empty"
    )
    assert str(Problem("c.yaml", 3, "menus.x", "no options", "warning")) == (
        "c.yaml:3: menus.x: warning: no options"
    )


def test_config_error_lists_every_problem(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        ("timezone: Europe/Kyiv", "timezone: Mars/Olympus"),
        ("entry_menu: main", "entry_menu: mian"),
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    assert lines == [str(p) for p in caught.value.problems]
    assert len(lines) == 2
    assert lines[0].endswith("company.timezone: unknown timezone 'Mars/Olympus'")
    assert lines[1].endswith("entry_menu: unknown menu 'mian'; did you mean 'main'?")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n", encoding="utf-8")
    assert [str(p) for p in validate_file(empty)] == [f"{empty}: the file is empty"]
    missing = tmp_path / "missing.yaml"
    (problem,) = validate_file(missing)
    assert str(problem).startswith(f"{missing}: cannot read the config: ")


# -- indentation and database URLs: the mistakes a new admin makes first ----------------


def test_a_key_indented_too_little_is_named_with_its_path(tmp_path: Path) -> None:
    path = make_config(
        tmp_path,
        (
            "    greeting: [menu_quality]\n    topic: D2\n",
            "    greeting: [menu_quality]\n   topic: D2\n",
        ),
    )
    line = line_of(path, "   topic: D2")
    assert errors(path) == [
        f"{path}:{line}: menus.quality: indentation: 'topic' starts at column 4, but "
        "'greeting' above it starts at column 5; the keys of one mapping must start in the "
        "same column (indent with spaces)"
    ]


def test_a_key_indented_too_far_is_reported_on_its_own_line(tmp_path: Path) -> None:
    """PyYAML blames the line after the mistake; the validator names the odd line."""
    path = make_config(tmp_path, ("  queue: dso-callcentre ", "    queue: dso-callcentre "))
    line = line_of(path, "    queue: dso-callcentre")
    [problem] = errors(path)
    assert problem.startswith(
        f"{path}:{line}: operator: indentation: 'queue' starts at "
        "column 5, deeper than 'connecting_prompt'"
    )


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://ivr:secret@db/ivr", "'postgres://' is not understood"),
        (
            "postgresql://ivr:secret@db/ivr",
            "the driver psycopg2 (the default of postgresql://) is not installed",
        ),
        ("mysql://ivr@db/ivr", "database 'mysql' is not supported"),
    ],
)
def test_database_urls_serve_cannot_use_are_refused_by_validate(
    tmp_path: Path, url: str, message: str
) -> None:
    path = make_config(tmp_path, ("url: sqlite:///ivr.sqlite3", f"url: {url}"))
    line = line_of(path, f"url: {url}")
    [problem] = errors(path)
    assert problem.startswith(f"{path}:{line}: database.url: {message}")


# -- identification and outage data ----------------------------------------------------------


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            ("  account_length: 10 ", "  account_length: 12 "),
            "identification.account_length: an account number of 12 digits cannot be told "
            "from the 12 digits of an EIC code: set 'eic: false'",
        ),
        (
            ("  account_length: 10 ", "  account_length: 3 "),
            "identification.account_length: 3 is out of range: use 4 to 20",
        ),
        (
            ("  eic: true ", "  eic: maybe "),
            "identification.eic: expected true or false, got text 'maybe'",
        ),
        (
            (
                "  attempts: 3                   # keypad",
                "  attempts: 0                   # keypad",
            ),
            "identification.attempts: 0 is out of range: use 1 to 5",
        ),
        (
            ("  max_age: 30 ", "  max_age: half an hour "),
            "outages.max_age: expected a whole number of minutes, got text 'half an hour",
        ),
    ],
)
def test_identification_and_outage_settings_are_checked(tmp_path: Path, edit, message) -> None:
    path = make_config(tmp_path, edit)
    needle = edit[1].strip().split(":")[0] + ":"
    line = line_of(path, needle)
    found = errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{line}: {message}"), found


def test_an_action_that_speaks_fixed_prompts_names_the_missing_one(tmp_path: Path) -> None:
    path = make_config(tmp_path)
    prompts = tmp_path / "prompts" / "uk.yaml"
    text = prompts.read_text(encoding="utf-8")
    old = 'identify_found: "Дякуємо, ваш рахунок знайдено."\n'
    assert old in text
    prompts.write_text(text.replace(old, ""), encoding="utf-8")
    outage, reading = line_of(path, "action: outage_status"), line_of(path, "action: meter_reading")
    report_line = line_of(path, "action: outage_report")
    found = errors(path)
    assert len(found) == 3, found  # every action that identifies the caller says it
    assert found[0].startswith(
        f"{path}:{outage}: menus.outages.options.2.action: action 'outage_status' speaks it: "
        "unknown prompt 'identify_found'"
    ), found[0]
    assert found[1].startswith(
        f"{path}:{report_line}: menus.outages.options.4.action: action 'outage_report' "
        "speaks it: unknown prompt 'identify_found'"
    ), found[1]
    assert found[2].startswith(
        f"{path}:{reading}: menus.meters.options.5.action: action 'meter_reading' speaks it: "
        "unknown prompt 'identify_found'"
    ), found[2]


# -- appeals: deadlines as topic data, holidays -------------------------------------------

D4_TOPIC = (
    '{code: D4, label: "Засіб обліку (заміна, несправність, перевірка)", deadline: {days: 45}}'
)
NO_HOLIDAYS = "  holidays: []\n"


@pytest.mark.parametrize(
    ("deadline", "where", "message"),
    [
        ("{days: 400}", "deadline.days", "400 is out of range: use 1 to 365 days"),
        (
            "{working_days: 0}",
            "deadline.working_days",
            "0 is out of range: use 1 to 60 working days",
        ),
        ("{days: five}", "deadline.days", "expected a whole number of days, got text 'five'"),
        ("{days: 4.5}", "deadline.days", "expected a whole number of days, got the number 4.5"),
        ("{weeks: 6}", "deadline.weeks", "unknown key 'weeks'"),
        (
            "{days: 45, working_days: 5}",
            "deadline",
            "give either days or working_days, not both ({days: N} or {working_days: N})",
        ),
        ("{}", "deadline", "expected {days: N} or {working_days: N}, got an empty mapping"),
        ("45", "deadline", "expected {days: N} or {working_days: N}, got the number 45"),
    ],
)
def test_a_bad_topic_deadline_is_named_with_its_line(
    tmp_path: Path, deadline: str, where: str, message: str
) -> None:
    path = make_config(tmp_path, (D4_TOPIC, D4_TOPIC.replace("{days: 45}", deadline)))
    line = line_of(path, "{code: D4,")
    assert errors(path) == [f"{path}:{line}: topics.dso[3].{where}: {message}"]


def test_a_deadline_longer_than_the_resolution_allows_is_a_warning(tmp_path: Path) -> None:
    path = make_config(tmp_path, (D4_TOPIC, D4_TOPIC.replace("{days: 45}", "{days: 60}")))
    assert errors(path) == []
    assert warnings(path) == [
        f"{path}:{line_of(path, '{code: D4,')}: topics.dso[3].deadline.days: warning: 60 days "
        "is longer than 45, the longest answer term of Resolution 375"
    ]
    topics = load_config(path).topics
    assert str(topics["D4"].deadline) == "60 days" and str(topics["D1"].deadline) == "30 days"


def test_holidays_are_dates_and_each_bad_one_is_named(tmp_path: Path) -> None:
    listed = (
        "  holidays:\n"
        "    - 2027-01-01\n"
        '    - "2027-01-07"\n'
        "    - 2027-02-30\n"
        '    - "2027-13-01"\n'
        "    - 7\n"
        "    - 2027-01-01\n"
    )
    path = make_config(tmp_path, (NO_HOLIDAYS, listed))
    first = line_of(path, "- 2027-01-01")
    assert errors(path) == [
        f"{path}:{first + 2}: appeals.holidays[2]: '2027-02-30' is not a date YYYY-MM-DD: "
        "day is out of range for month",
        f"{path}:{first + 3}: appeals.holidays[3]: '2027-13-01' is not a date YYYY-MM-DD: "
        "month must be in 1..12",
        f"{path}:{first + 4}: appeals.holidays[4]: expected a date YYYY-MM-DD, got the number 7",
    ]
    assert warnings(path) == [
        f"{path}:{first + 5}: appeals.holidays[5]: warning: 2027-01-01 is listed twice "
        f"(first at line {first})"
    ]


def test_holidays_load_and_must_be_a_list(tmp_path: Path) -> None:
    from datetime import date

    path = make_config(tmp_path, (NO_HOLIDAYS, "  holidays: [2027-01-01, 2027-01-07]\n"))
    assert load_config(path).appeals.holidays == {date(2027, 1, 1), date(2027, 1, 7)}
    path = make_config(tmp_path, (NO_HOLIDAYS, "  holidays: 2027-01-01\n"))
    assert errors(path) == [
        f"{path}:{line_of(path, 'holidays:')}: appeals.holidays: expected a list of dates "
        "such as [2027-01-01], got a date"
    ]
    path = make_config(tmp_path, (NO_HOLIDAYS, "  days_off: []\n"))
    assert errors(path) == [
        f"{path}:{line_of(path, 'days_off:')}: appeals.days_off: unknown key 'days_off'"
    ]


def test_an_option_menu_that_is_not_text_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = make_config(tmp_path, (OUTAGES_OPTION, '"1": {action: menu, menu: {a: 1}}'))
    line = line_of(path, '"1": {action: menu, menu: {a: 1}}')
    assert (
        f"{path}:{line}: menus.main.options.1.menu: expected a menu name, got a mapping"
        in errors(path)
    )
