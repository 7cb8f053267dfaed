"""Several companies on one server (``profiles``): the dialled number picks the company, the
records say which it was, reports and indicators are per company, a reload swaps them all.

The shipped config.yaml is the DSO «Демообленерго» with the supplier «Демоенергозбут»
(examples/supplier.yaml) as its profile; broken variants are edited copies of both.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT, prompts_played
from test_config import errors, line_of, make_config

from ivr.config import ConfigError, load_config
from ivr.config.cache import load_cached
from ivr.config.model import Config, dialled_key
from ivr.simulator import KeyScript, asterisk_env, parse_keys, simulate_builtin
from ivr.store.recorder import CallRecorder
from ivr.store.repository import CallRepository
from ivr.transport.provider import ConfigProvider, Snapshot, load

DSO_NUMBER, SUPPLIER_NUMBER = "0800000373", "0800000312"


def supplier_of(config_path: Path) -> Path:
    return config_path.parent / "examples" / "supplier.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- the shipped pair --------------------------------------------------------------------


def test_the_shipped_config_answers_for_the_dso_and_its_supplier():
    config = load_config(ROOT / "config.yaml")
    assert [c.company.id for c in config.companies] == ["demooblenergo", "demoenergozbut"]
    supplier = config.profiles["demoenergozbut"]
    assert supplier.company.role.value == "supplier" and supplier.entry_menu == "main"
    # the server's settings are the main config's
    assert (supplier.database_url, supplier.journal_path, supplier.server_id) == (
        config.database_url,
        config.journal_path,
        config.server_id,
    )
    assert supplier.log_file == config.log_file
    assert config.for_dialled(SUPPLIER_NUMBER) is supplier
    assert config.for_dialled("+380800000312") is supplier  # as some trunks deliver it
    assert config.for_dialled(DSO_NUMBER) is config
    assert config.for_dialled("0800000999") is None


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("0800000312", "0800000312"),
        ("+380 80 000 0312", "0800000312"),
        ("380440000373", "0440000373"),
        ("101", "101"),
    ],
)
def test_dialled_numbers_are_compared_in_their_national_form(number, key):
    assert dialled_key(number) == key


# -- bad input, each reported as FILE:LINE: path: message --------------------------------


def test_two_profiles_claiming_one_number_is_an_error(tmp_path):
    config = make_config(tmp_path)
    supplier = supplier_of(config)
    edit(supplier, '["0800000312", "0440000312"]', '["0800000312", "0800000373"]')
    first = line_of(config, '- "0800000373"')
    assert errors(config) == [
        f"{supplier}:{line_of(supplier, 'dialled_numbers')}: company.dialled_numbers[1]: "
        f"'0800000373' is already a number of company 'demooblenergo' "
        f"({config}:{first}): a dialled number selects one company"
    ]


def test_the_same_number_written_another_way_is_the_same_number(tmp_path):
    config = make_config(tmp_path)
    supplier = supplier_of(config)
    edit(supplier, '["0800000312", "0440000312"]', '["0800000312", "+380440000373"]')
    [problem] = errors(config)
    assert "company.dialled_numbers[1]: '+380440000373' is already a number of company" in problem


def test_two_companies_with_one_id_is_an_error(tmp_path):
    config = make_config(tmp_path)
    supplier = supplier_of(config)
    edit(supplier, "id: demoenergozbut", "id: demooblenergo")
    assert errors(config) == [
        f"{supplier}:{line_of(supplier, 'id: demooblenergo')}: company.id: company id "
        f"'demooblenergo' is already the id of the company in "
        f"{config}:{line_of(config, 'id: demooblenergo')}: give every profile its own company.id"
    ]


def test_a_company_without_id_clashes_with_another_without_one(tmp_path):
    config = make_config(tmp_path, ("  id: demooblenergo ", "  # id: demooblenergo "))
    supplier = supplier_of(config)
    edit(supplier, "  id: demoenergozbut ", "  # id: demoenergozbut ")
    [problem] = errors(config)
    assert problem.startswith(
        f"{supplier}:{line_of(supplier, 'company:')}: company: company id 'main'"
    )


def test_a_malformed_company_id(tmp_path):
    config = make_config(tmp_path, ("id: demooblenergo", "id: Демо Обленерго"))
    assert errors(config) == [
        f"{config}:{line_of(config, 'id: Демо')}: company.id: company id 'Демо Обленерго' may "
        "contain only lowercase letters, digits, '_' and '-' (at most 32): it is what records "
        "and reports call the company"
    ]


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("database", "database:\n  url: sqlite:///other.sqlite3\n"),
        ("log_file", "log_file: other.log\n"),
        ("profiles", "profiles: []\n"),
    ],
)
def test_a_profile_may_not_set_what_belongs_to_the_server(tmp_path, key, text):
    config = make_config(tmp_path)
    supplier = supplier_of(config)
    with supplier.open("a", encoding="utf-8") as stream:
        stream.write("\n" + text)
    assert errors(config) == [
        f"{supplier}:{line_of(supplier, f'{key}:')}: {key}: '{key}' belongs to the server: this "
        f"file is a profile of {config}, whose '{key}' every company's calls use; remove it here"
    ]


def test_a_missing_profile_file(tmp_path):
    config = make_config(tmp_path, ("  - examples/supplier.yaml", "  - examples/nobody.yaml"))
    assert errors(config) == [
        f"{config}:{line_of(config, 'nobody.yaml')}: profiles[0]: profile configuration "
        f"'{config.parent / 'examples' / 'nobody.yaml'}' not found"
    ]


def test_a_profile_listed_twice_or_the_main_file_itself(tmp_path):
    config = make_config(
        tmp_path,
        (
            "  - examples/supplier.yaml      #",
            "  - config.yaml\n  - examples/supplier.yaml\n  - ./examples/supplier.yaml  #",
        ),
    )
    assert errors(config) == [
        f"{config}:{line_of(config, '  - config.yaml')}: profiles[0]: this is the main "
        "configuration itself",
        f"{config}:{line_of(config, './examples')}: profiles[2]: './examples/supplier.yaml' "
        "is listed twice (first at profiles[1])",
    ]


def test_a_profile_in_another_timezone(tmp_path):
    config = make_config(tmp_path)
    supplier = supplier_of(config)
    edit(supplier, "timezone: Europe/Kyiv", "timezone: Europe/Warsaw")
    assert errors(config) == [
        f"{supplier}:{line_of(supplier, 'timezone:')}: company.timezone: 'Europe/Warsaw' is not "
        "the main config's timezone 'Europe/Kyiv': the appeal numbers of one server count their "
        "days in one timezone"
    ]


def test_a_broken_profile_is_reported_in_its_own_file_and_refuses_the_whole(tmp_path):
    config = make_config(tmp_path)
    supplier = supplier_of(config)
    edit(supplier, "entry_menu: main", "entry_menu: mian")
    [problem] = errors(config)
    assert problem.startswith(f"{supplier}:{line_of(supplier, 'entry_menu')}: entry_menu:")
    result = subprocess.run(
        [sys.executable, "-m", "ivr", "validate", "--no-audio-check", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and problem in result.stdout + result.stderr


# -- calls: the dialled number picks the company ------------------------------------------


@pytest.fixture
def pair(tmp_path) -> Config:
    """The shipped pair, writing to a SQLite file of the test's own."""
    config = load_config(make_config(tmp_path))
    return dataclasses.replace(config, database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}")


#: A Tuesday noon in Kyiv: the supplier's operators are at work (the wall clock may be night).
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Europe/Kyiv"))


def call(config: Config, repository: CallRepository, dnid: str, keys: str):
    env = asterisk_env("0441234567", dnid)
    script = KeyScript(parse_keys(keys))
    return simulate_builtin(config, CallRecorder(repository), env, script, clock=lambda: NOON)


def test_two_numbers_reach_two_companies_and_are_recorded_as_theirs(pair, tmp_path):
    repository = CallRepository(pair.database_url)
    repository.ensure_schema()
    try:
        dso = call(pair, repository, DSO_NUMBER, "0 h")
        supplier = call(pair, repository, SUPPLIER_NUMBER, "1 5 h")
        assert prompts_played(dso)[0] == "welcome_dso"
        assert prompts_played(supplier)[:2] == ["welcome_supplier", "menu_billing"]
        stored_dso = repository.get_call(dso.record.call_uid)
        stored_supplier = repository.get_call(supplier.record.call_uid)
    finally:
        repository.dispose()
    assert (stored_dso.company, stored_dso.role) == ("demooblenergo", "dso")
    assert (stored_supplier.company, stored_supplier.role) == ("demoenergozbut", "supplier")
    assert [a.company for a in stored_dso.appeals] == ["demooblenergo"]
    # S3 (a bill check) goes to the supplier's own queue
    assert supplier.variables["IVR_TOPIC"] == "S3"
    assert [a.company for a in stored_supplier.appeals] == ["demoenergozbut"]
    assert stored_supplier.appeals[0].topic_label.startswith("Рахунки")


def test_an_unknown_number_is_answered_by_the_main_company_with_a_warning(pair, caplog):
    repository = CallRepository(pair.database_url)
    repository.ensure_schema()
    with caplog.at_level(logging.WARNING, logger="ivr.transport.provider"):
        try:
            transcript = call(pair, repository, "0800000998", "h")
        finally:
            repository.dispose()
    assert prompts_played(transcript)[0] == "welcome_dso"
    assert transcript.record.company == "demooblenergo"
    assert "a call to 0800000998, a number no company of config.yaml lists" in caplog.text


def test_a_single_company_server_never_warns_about_numbers(config, repository, caplog):
    single = dataclasses.replace(config, profiles={})
    with caplog.at_level(logging.WARNING, logger="ivr.transport.provider"):
        transcript = call(single, repository, "0800000997", "h")
    assert transcript.record.company == "demooblenergo" and "0800000997" not in caplog.text


def test_the_companies_share_the_journal_and_the_audio_catalogue(pair):
    snapshot = Snapshot.of(pair)
    supplier = snapshot.for_dialled(SUPPLIER_NUMBER)
    assert supplier is snapshot.profiles["demoenergozbut"] and supplier.journal is snapshot.journal
    assert supplier.audio is snapshot.audio  # the same prompts directory: one catalogue
    assert snapshot.for_dialled(DSO_NUMBER) is snapshot


# -- reload and the process-AGI cache take the profiles along -----------------------------


def test_a_reload_swaps_every_company_at_once_and_a_broken_profile_changes_nothing(
    tmp_path, monkeypatch
):
    path = make_config(tmp_path)
    supplier = supplier_of(path)
    # the rule of calls wants built audio; what a reload swaps is the question here
    real_load = load
    monkeypatch.setattr(
        "ivr.transport.provider.load",
        lambda p, for_calls, cached=False: real_load(p, for_calls=False),
    )
    provider = ConfigProvider(load(path, for_calls=False), path)
    first = provider.current
    edit(supplier, 'name: "ТОВ «Демоенергозбут»"', 'name: "ТОВ «Демоенергозбут-2»"')
    edit(path, 'name: "ПрАТ «Демообленерго»"', 'name: "ПрАТ «Демообленерго-2»"')
    new = provider.reload()
    assert provider.current is new
    assert new.config.company.name.endswith("-2»")
    assert new.profiles["demoenergozbut"].config.company.name.endswith("-2»")
    assert first.profiles["demoenergozbut"].config.company.name.endswith("збут»")
    edit(supplier, "entry_menu: main", "entry_menu: mian")
    with pytest.raises(ConfigError, match="entry_menu"):
        provider.reload()
    assert provider.current is new


def test_the_process_agi_cache_follows_a_changed_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("IVR_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    path = make_config(tmp_path)
    supplier = supplier_of(path)
    before, _ = load_cached(path)
    again, _ = load_cached(path)
    assert (
        again.profiles["demoenergozbut"].company.name
        == before.profiles["demoenergozbut"].company.name
    )
    edit(supplier, 'name: "ТОВ «Демоенергозбут»"', 'name: "ТОВ «Інший постачальник»"')
    after, _ = load_cached(path)
    assert after.profiles["demoenergozbut"].company.name == "ТОВ «Інший постачальник»"


# -- reports: per company -----------------------------------------------------------------


def test_the_report_gives_each_company_its_own_figures(pair, tmp_path):
    config_path = tmp_path / "config.yaml"
    edit(config_path, "url: sqlite:///ivr.sqlite3", f"url: {pair.database_url}")
    repository = CallRepository(pair.database_url)
    repository.ensure_schema()
    try:
        for dnid, keys in ((DSO_NUMBER, "1 3 h"), (DSO_NUMBER, "2 1 h"), (SUPPLIER_NUMBER, "2 h")):
            call(pair, repository, dnid, keys)
    finally:
        repository.dispose()

    def report(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ivr", "report", "--config", str(config_path)]
            + ["--from", "2026-01-01", "--to", "2030-12-31", "--by", "month", "--include-test"]
            + list(args),
            capture_output=True,
            text=True,
            timeout=60,
        )

    result = report("--format", "json")
    assert result.returncode == 0, result.stderr
    dso, supplier = json.loads(result.stdout)
    assert (dso["company_id"], dso["calls"]) == ("demooblenergo", 2)
    assert (supplier["company_id"], supplier["calls"]) == ("demoenergozbut", 1)
    assert {t["code"] for t in supplier["topics"] if t["calls"]} == {"S2"}
    assert {t["code"] for t in dso["topics"] if t["calls"]} == {"D1", "D2"}

    only = report("--format", "json", "--company", "demoenergozbut")
    assert json.loads(only.stdout)["calls"] == 1

    table = report()
    assert table.returncode == 0, table.stderr
    assert "«Демообленерго»" in table.stdout and "«Демоенергозбут»" in table.stdout
    assert table.stdout.index("«Демообленерго»") < table.stdout.index("«Демоенергозбут»")

    csv_text = report("--format", "csv").stdout.splitlines()
    assert csv_text[0] == "company,section,period,item,label,value"
    assert {line.split(",")[0] for line in csv_text[1:]} == {"demooblenergo", "demoenergozbut"}

    unknown = report("--company", "nobody")
    assert unknown.returncode == 2 and "'nobody' is not a company of" in unknown.stderr


def test_appeals_are_chosen_and_exported_per_company(pair, tmp_path):
    config_path = tmp_path / "config.yaml"
    edit(config_path, "url: sqlite:///ivr.sqlite3", f"url: {pair.database_url}")
    repository = CallRepository(pair.database_url)
    repository.ensure_schema()
    try:
        call(pair, repository, DSO_NUMBER, "0 h")  # an operator appeal (D99)
        call(pair, repository, SUPPLIER_NUMBER, "1 5 h")  # a bill check (S3)
    finally:
        repository.dispose()

    def export(*args: str) -> list[dict]:
        result = subprocess.run(
            [sys.executable, "-m", "ivr", "appeals", "export", "--config", str(config_path)]
            + ["--format", "json", "--include-test", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert sorted(a["company"] for a in export()) == ["demoenergozbut", "demooblenergo"]
    [supplier] = export("--company", "demoenergozbut")
    assert (supplier["topic_code"], supplier["role"]) == ("S3", "supplier")
