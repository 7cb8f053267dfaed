"""The directory of companies (``directory:`` in config.yaml) and the topics' handling roles:
the shipped sample, and one broken input per check, with the directory file's own lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import DIRECTORY, SHIPPED, SUPPLIER, errors, line_of, make_config

from ivr.config import Role, load_config
from ivr.config.directory import CompanyRole


def broken_directory(tmp_path: Path, old: str, new: str) -> tuple[Path, Path]:
    """The shipped config with a copy of the sample directory edited once."""
    config = make_config(tmp_path)
    directory = tmp_path / "examples" / "directory.yaml"
    text = DIRECTORY.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    directory.write_text(text.replace(old, new), encoding="utf-8")
    return config, directory


def test_shipped_directory_matches_the_sample_accounts_and_companies() -> None:
    directory = load_config(SHIPPED).directory
    roles = {e.id: e.role for e in directory.entries}
    assert roles["demooblenergo"] is CompanyRole.DSO
    assert roles["demoenergozbut"] is CompanyRole.SUPPLIER
    assert sum(r is CompanyRole.UNIVERSAL_SUPPLIER for r in roles.values()) == 2
    assert sum(r is CompanyRole.DSO for r in roles.values()) == 2
    # the sample accounts' supplier and settlements
    assert directory.find("Тестпостач") is directory.by_id["testpostach"]
    for settlement in ("Калинове", "Бровари", "Київ", "Село Приклад"):
        dso = directory.dso_for(settlement)
        assert dso is not None and dso.id == "demooblenergo"
    assert directory.in_region("chernihivska", CompanyRole.UNIVERSAL_SUPPLIER).id == "zrazokzbut"
    assert load_config(SUPPLIER).directory.by_id.keys() == directory.by_id.keys()


def test_shipped_topics_say_whose_business_they_are() -> None:
    config = load_config(SHIPPED)
    dso = {t.code: t.handled_by for t in config.catalogues[Role.DSO]}
    supplier = {t.code: t.handled_by for t in config.catalogues[Role.SUPPLIER]}
    assert dso["D11"] is Role.SUPPLIER and dso["D1"] is Role.DSO
    assert supplier["S10"] is Role.DSO and supplier["S3"] is Role.SUPPLIER


BROKEN = {
    "malformed number": (
        'number: "0800000374"',
        'number: "0800-00"',
        "0800-00",
        "companies[1].number: '0800-00' is not a phone number: use digits only, optionally "
        "with a leading '+'",
    ),
    "unquoted alternative": (
        'alternatives: ["0460000317"]',
        "alternatives: [460000317]",
        "[460000317]",
        "companies[5].alternatives[0]: expected a phone number in quotes, got the number "
        "460000317 (YAML drops leading zeros of unquoted numbers)",
    ),
    "unknown region": (
        "regions: [chernihivska]\n    settlements",
        "regions: [chernigiv]\n    settlements",
        "chernigiv]",
        "companies[1].regions[0]: unknown region 'chernigiv' (ids such as kyivska, lvivska, "
        "kyiv); did you mean 'chernihivska'?",
    ),
    "unknown role": (
        "role: universal_supplier\n    regions: [kyivska",
        "role: universal\n    regions: [kyivska",
        "role: universal",
        "companies[4].role: unknown role 'universal': use supplier, universal_supplier, dso; "
        "did you mean 'universal_supplier'?",
    ),
}


def test_duplicate_ids(tmp_path: Path) -> None:
    config, directory = broken_directory(tmp_path, "id: zrazokzbut", "id: demouniversal")
    first = line_of(directory, "id: demouniversal")
    assert errors(config) == [
        f"{directory}:{line_of(directory, 'id: demouniversal', 2)}: companies[5].id: duplicate "
        f"company id 'demouniversal' (first at line {first})"
    ]


def test_missing_required_key(tmp_path: Path) -> None:
    config, directory = broken_directory(tmp_path, '    number: "0800000316"\n', "")
    assert errors(config) == [
        f"{directory}:{line_of(directory, 'id: demouniversal')}: companies[4]: missing required "
        "key 'number'"
    ]


def test_unknown_name_prompt(tmp_path: Path) -> None:
    config, directory = broken_directory(
        tmp_path, "name_prompt: company_zrazokzbut", "name_prompt: company_zrazok"
    )
    [problem] = errors(config)
    assert problem.startswith(
        f"{directory}:{line_of(directory, 'company_zrazok')}: companies[5].name_prompt: "
        "unknown prompt 'company_zrazok'"
    )


def test_missing_directory_file(tmp_path: Path) -> None:
    config = make_config(tmp_path, ("directory: examples/directory.yaml", "directory: no.yaml"))
    assert errors(config) == [
        f"{config}:{line_of(config, 'no.yaml')}: directory: directory file "
        f"'{config.parent / 'no.yaml'}' not found"
    ]


def test_unknown_handling_role_of_a_topic(tmp_path: Path) -> None:
    config = make_config(tmp_path, ("handled_by: supplier}", "handled_by: supplyer}"))
    assert errors(config) == [
        f"{config}:{line_of(config, 'supplyer')}: topics.dso[10].handled_by: unknown role "
        "'supplyer': use 'dso' or 'supplier'; did you mean 'supplier'?"
    ]


MISROUTED = {
    "unknown region key": (
        'keys: {"1": kyivska, "2": chernihivska}',
        'keys: {"1": kyivska, "2": chernigivska}',
        "chernigivska",
        "misrouted.regions.keys.2: unknown region 'chernigivska'; did you mean 'chernihivska'?",
    ),
    "not a region key": (
        'keys: {"1": kyivska, "2": chernihivska}',
        'keys: {"1": kyivska, "#": chernihivska}',
        '"#": chernihivska',
        "misrouted.regions.keys.#: '#' is not one of the keys 1 to 9",
    ),
    "malformed national number": (
        'national_number: "0800000300"',
        'national_number: "0800 000"',
        "0800 000",
        "misrouted.national_number: '0800 000' is not a phone number: use digits only, "
        "optionally with a leading '+'",
    ),
}


CASES = {
    **{name: ("directory", *case) for name, case in BROKEN.items()},
    **{name: ("config", *case) for name, case in MISROUTED.items()},
}


@pytest.mark.parametrize(("where", "old", "new", "needle", "message"), CASES.values(), ids=CASES)
def test_a_bad_value_is_reported_on_its_line(
    tmp_path: Path, where: str, old: str, new: str, needle: str, message: str
) -> None:
    """A bad value in the directory file or in config.yaml's misrouted section."""
    if where == "directory":
        config, file = broken_directory(tmp_path, old, new)
    else:
        config = file = make_config(tmp_path, (old, new))
    assert errors(config) == [f"{file}:{line_of(file, needle)}: {message}"]


def test_a_redirect_without_a_company_needs_the_misrouted_section(tmp_path: Path) -> None:
    config = make_config(tmp_path, ("\nmisrouted:\n", "\nunused_misrouted:\n"))
    text = config.read_text(encoding="utf-8")
    start = text.index("unused_misrouted:")
    end = text.index("entry_menu:")
    config.write_text(text[:start] + text[end:], encoding="utf-8")
    assert errors(config) == [
        f"{config}:{line_of(config, '{action: redirect, topic: D11}')}: "
        "menus.main.options.7.action: a redirect without 'to' finds the company in the "
        "directory: add the 'misrouted' section (or name a redirect with 'to')"
    ]
