"""The change preview: ``diff_configs`` on edited copies of the shipped config (each kind of
change found, nothing for identical files), ``ivr validate --diff OLD NEW`` as an admin runs
it, and the summary a SIGHUP reload of the FastAGI server logs."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from test_cli import ivr
from test_config import MAIN_REDIRECT, line_of, make_config
from test_faults import Caller, Server, network_env, tcp_call
from test_profiles import supplier_of

from ivr.audio.build import outdated, spec_key, stale_prompts
from ivr.audio.catalogue import config_specs
from ivr.audio.manifest import Manifest
from ivr.config import Config, load_config
from ivr.config.diff import ConfigDiff, diff_configs, render, shorten
from ivr.store.recorder import CallRecorder
from ivr.transport.provider import ConfigProvider, load

PROMPT = 'invalid_choice: "На жаль, такого варіанта немає. Будь ласка, спробуйте ще раз."'


def pair(tmp_path: Path, *edits: tuple[str, str], prompts: tuple[str, str] | None = None):
    """The shipped config (OLD) and an edited copy of it (NEW), each in its own directory;
    ``prompts``: one edit of NEW's prompt texts."""
    old = make_config(tmp_path / "old")
    new = make_config(tmp_path / "new", *edits)
    if prompts is not None:
        edit(new.parent / "prompts" / "uk.yaml", *prompts)
    return old, new


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def compare(tmp_path: Path, *edits, prompts=None) -> ConfigDiff:
    old, new = pair(tmp_path, *edits, prompts=prompts)
    return diff_configs(load_config(old), load_config(new))


def main_company(diff: ConfigDiff):
    assert diff.companies[0].id == "demooblenergo"
    return diff.companies[0]


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()


# -- diff_configs ----------------------------------------------------------------------------


def test_identical_files_have_no_changes(tmp_path):
    diff = compare(tmp_path)  # the same text in another directory
    assert diff.empty
    assert [c.id for c in diff.companies] == ["demooblenergo", "demoenergozbut"]
    assert render(diff) == ["no changes"]
    config = load_config(make_config(tmp_path / "old"))
    assert diff_configs(config, config).empty


def test_an_option_changed_added_and_removed(tmp_path):
    diff = compare(
        tmp_path,
        (MAIN_REDIRECT, '"7": {action: operator, topic: D99}\n      "8": {action: repeat}'),
        ('      "3": {action: announce, prompts: [outage_planned], topic: D1}\n', ""),
    )
    lines = render(diff)
    assert '  option changed: main "7": redirect D11 -> operator D99' in lines
    assert '  option added: main "8": repeat' in lines
    assert '  option removed: outages "3": announce prompts=[outage_planned] D1' in lines
    assert "company demoenergozbut: no changes" in lines
    assert [o.status for o in main_company(diff).options] == ["changed", "added", "removed"]


def test_a_menu_added_removed_and_changed(tmp_path):
    old = make_config(tmp_path / "old")
    text = old.read_text(encoding="utf-8")
    block = text[text.index("  outages:\n") : text.index("  quality:\n")]
    new = make_config(
        tmp_path / "new",
        ('"1": {action: menu, menu: outages}', '"1": {action: menu, menu: power}'),
        (block, block.replace("  outages:\n", "  power:\n")),  # renamed: one gone, one new
        ("greeting: [welcome_dso, main_menu_dso]", "greeting: [main_menu_dso]"),
        (
            "short_greeting: [main_menu_dso]\n    topic: D99",
            "short_greeting: [welcome_dso]\n    topic: D8\n    timeout: 9",
        ),
    )
    lines = render(diff_configs(load_config(old), load_config(new)))
    assert "  menu removed: outages" in lines
    assert "  menu added: power" in lines
    assert "  menu main: greeting [welcome_dso, main_menu_dso] -> [main_menu_dso]" in lines
    assert "  menu main: short greeting [main_menu_dso] -> [welcome_dso]" in lines
    assert "  menu main: timeout 6 s -> 9 s" in lines
    assert "  menu main: topic D99 -> D8" in lines
    assert '  option changed: main "1": menu outages -> menu power' in lines
    # the options of a menu that came or went are not listed one by one
    assert not any('option added: power "' in line for line in lines)


def test_prompts_added_removed_and_changed_used_by_menus_or_not(tmp_path):
    old, new = pair(
        tmp_path,
        prompts=(
            PROMPT,
            'invalid_choice: "Такого варіанта немає."\nfresh_prompt: "Зовсім новий текст"',
        ),
    )
    edit(new.parent / "prompts" / "uk.yaml", "\nmenu_quality:", "\nmenu_quality_x:")
    edit(new.parent / "prompts" / "uk.yaml", "лінії.", "лінії, будь ласка.")  # the operator's
    edit(new, "greeting: [menu_quality]", "greeting: [menu_quality_x]")
    diff = diff_configs(load_config(old), load_config(new))
    company = main_company(diff)
    by_id = {p.id: p for p in company.prompts}
    assert by_id["invalid_choice"].status == "changed" and by_id["invalid_choice"].used
    assert by_id["fresh_prompt"].status == "added" and not by_id["fresh_prompt"].used
    assert by_id["menu_quality"].status == "removed"
    assert by_id["menu_quality_x"].status == "added" and by_id["menu_quality_x"].used
    assert by_id["operator_connecting"].used  # operator.connecting_prompt names it
    lines = render(diff)
    unnamed = "(the config does not name it)"
    assert f'  prompt added: fresh_prompt "Зовсім новий текст" {unnamed}' in lines
    was = shorten("На жаль, такого варіанта немає. Будь ласка, спробуйте ще раз.")
    assert was.endswith("…") and len(was) == 50
    assert f'  prompt changed: invalid_choice "{was}" -> "Такого варіанта немає."' in lines
    # no build to ask: what is new or changed since OLD needs its audio
    assert [(r.id, r.reason) for r in company.rebuild] == [
        ("invalid_choice", "text changed"),  # in the order of NEW's texts file
        ("fresh_prompt", "new"),
        ("operator_connecting", "text changed"),
        ("menu_quality_x", "new"),
    ]
    assert "  audio to rebuild (4):" in lines
    # both companies read one texts file: its changes are said once
    supplier = diff.companies[1]
    assert supplier.prompts == () and supplier.prompts_as == "demooblenergo"
    assert "  prompts: see company demooblenergo (the same texts)" in lines


def test_a_changed_voice_hint_needs_the_audio_built_again(tmp_path):
    diff = compare(
        tmp_path,
        prompts=(PROMPT, PROMPT.replace(': "', ': {voice: uk+f3, text: "') + "}"),
    )
    (change,) = main_company(diff).prompts
    assert change.hints_changed and change.old == change.new
    assert [(r.id, r.reason) for r in main_company(diff).rebuild] == [
        ("invalid_choice", "voice hints changed")
    ]
    assert "  prompt changed: invalid_choice: voice hints" in render(diff)


def test_topics_added_removed_relabelled_and_given_another_deadline(tmp_path):
    old = make_config(tmp_path / "old")
    new = make_config(
        tmp_path / "new",
        (
            '{code: D3, label: "Приєднання до електромереж"}',
            '{code: D3, label: "Приєднання (нове)", deadline: {working_days: 15}}',
        ),
        (
            '{code: D9, label: "Компенсації"}',
            '{code: D9, label: "Компенсації"}\n    - {code: D12, label: "Нова тема"}',
        ),
    )
    text = new.read_text(encoding="utf-8")
    removed = next(line for line in text.splitlines() if "{code: S7," in line)
    edit(new, removed + "\n", "")
    diff = diff_configs(load_config(old), load_config(new))
    lines = render(diff)
    assert (
        '  topic changed: dso D3: relabelled "Приєднання до електромереж" -> '
        '"Приєднання (нове)"; deadline 30 days -> 15 working days'
    ) in lines
    assert '  topic added: dso D12 "Нова тема" (30 days)' in lines
    assert any(line.startswith("  topic removed: supplier S7 ") for line in lines)


def test_other_settings_are_named_and_a_database_url_never_shown(tmp_path):
    diff = compare(
        tmp_path,
        ("queue: dso-callcentre", "queue: dso-new"),
        ("url: sqlite:///ivr.sqlite3", "url: sqlite:///secret.sqlite3"),
    )
    lines = render(diff)
    assert "  setting changed: operator.queue: dso-callcentre -> dso-new" in lines
    assert "  setting changed: database_url" in lines
    assert not any("secret" in line for line in lines)


def test_a_profiles_option_in_one_line_nested_actions_too(tmp_path):
    old = make_config(tmp_path / "old")
    new = make_config(tmp_path / "new")
    edit(
        supplier_of(new),
        "open: {action: operator, topic: S1}",
        'open: {action: transfer, number: "0800000373", topic: S1}',
    )
    lines = render(diff_configs(load_config(old), load_config(new)))
    closed = "closed=(announce prompts=[supplier_contract_closed] S1)"
    assert lines == [
        "company demooblenergo: no changes",
        "company demoenergozbut (supplier.yaml):",
        f'  option changed: contract "3": when_open open=(operator S1) {closed} -> '
        f"when_open open=(transfer 0800000373 S1) {closed}",
    ]


def test_a_profile_added_and_removed(tmp_path):
    old = make_config(tmp_path / "old")
    new = make_config(tmp_path / "new")
    supplier = supplier_of(new)
    edit(supplier, "id: demoenergozbut", "id: demoenergozbut2")
    lines = render(diff_configs(load_config(old), load_config(new)))
    assert "profile added: demoenergozbut2 (supplier.yaml)" in lines
    assert "profile removed: demoenergozbut (supplier.yaml)" in lines


# -- the audio build decides when there is one ------------------------------------------------


def fake_build(config: Config) -> Manifest:
    """A manifest as if espeak-ng had built every prompt of ``config`` (empty files)."""
    directory = config.prompts.sounds_dir / config.prompts.language
    directory.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(directory, config.prompts.language)
    for spec in config_specs(config):
        voice = spec.voice or "uk"
        (directory / f"{spec.id}.wav").write_bytes(b"")
        manifest.prompts[spec.id] = {
            "text": spec.text,
            "engine": "espeak-ng",
            "voice": voice,
            "speed": spec.speed,
            "formats": ["wav"],
            "key": spec_key(spec, "espeak-ng", voice, ("wav",)),
            "files": {"wav": f"{spec.id}.wav"},
        }
    manifest.save()
    return manifest


def test_with_a_build_the_manifest_says_which_audio_does_not_match(tmp_path):
    old, new = pair(tmp_path, prompts=(PROMPT, 'invalid_choice: "Такого варіанта немає."'))
    before, after = load_config(old), load_config(new)
    assert stale_prompts(after) is None  # nothing built: nothing known
    fake_build(before)  # the audio of OLD's texts, in NEW's sounds directory
    shutil.copytree(before.prompts.sounds_dir, after.prompts.sounds_dir, dirs_exist_ok=True)
    (after.prompts.sounds_dir / "uk" / "welcome_dso.wav").unlink()
    diff = diff_configs(before, after, stale_prompts)
    company = main_company(diff)
    assert company.audio_checked
    assert [(r.id, r.reason) for r in company.rebuild] == [
        ("invalid_choice", "text changed, the audio says another text"),
        ("welcome_dso", "its audio files are missing"),  # unchanged text, audio gone
    ]
    fake_build(after)  # built for NEW: nothing left to build, though the text changed
    diff = diff_configs(before, after, stale_prompts)
    assert main_company(diff).rebuild == () and main_company(diff).prompts
    assert not any("audio to rebuild" in line for line in render(diff))


def test_outdated_is_what_the_build_would_render_again(tmp_path):
    config = load_config(make_config(tmp_path / "old"))
    manifest = fake_build(config)
    specs = config_specs(config)
    assert outdated(manifest, specs) == {}
    manifest.prompts["welcome_dso"]["voice"] = "uk+f3"  # built with another voice
    manifest.prompts["welcome_dso"]["key"] = "0" * 64
    del manifest.prompts["main_menu_dso"]
    assert outdated(manifest, specs) == {
        "welcome_dso": "the audio has another voice or speed",
        "main_menu_dso": "not built",
    }


# -- ivr validate --diff -------------------------------------------------------------------------


def test_validate_diff_prints_the_changes(tmp_path):
    old, new = pair(tmp_path, (MAIN_REDIRECT, '"7": {action: operator, topic: D99}'))
    result = ivr("validate", "--no-audio-check", "--diff", str(old), str(new))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{new}: OK (0 warning(s)); changes from {old}:" in result.stdout
    assert '    option changed: main "7": redirect D11 -> operator D99' in result.stdout
    as_json = ivr("validate", "--no-audio-check", "--format", "json", "--diff", str(old), str(new))
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["changed"] and data["new"] == str(new)
    assert data["companies"][0]["options"] == [
        {
            "menu": "main",
            "key": "7",
            "old": "redirect D11",
            "new": "operator D99",
            "status": "changed",
        }
    ]


def test_validate_diff_of_identical_files_says_so(tmp_path):
    old, new = pair(tmp_path)
    result = ivr("validate", "--no-audio-check", "--diff", str(old), str(new))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "  no changes"


def test_validate_diff_between_a_valid_and_an_invalid_file(tmp_path):
    old, new = pair(tmp_path, (MAIN_REDIRECT, '"7": {action: redirect, topic: D77}'))
    line = line_of(new, '"7": {action: redirect, topic: D77}')
    result = ivr("validate", "--no-audio-check", "--diff", str(old), str(new))
    assert result.returncode == 1
    assert f"{new}:{line}: menus.main.options.7.topic: unknown topic 'D77'" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"ivr validate --diff: NEW {new} is invalid (1 error(s)): no diff shown"
    )
    assert "changes from" not in result.stdout
    # the other way round: the invalid one is OLD
    result = ivr("validate", "--no-audio-check", "--diff", str(new), str(old))
    assert result.returncode == 1
    assert f"OLD {new} is invalid (1 error(s)): no diff shown" in result.stderr
    assert "changes from" not in result.stdout


def test_validate_diff_needs_the_audio_of_new_only(tmp_path):
    old, new = pair(tmp_path)
    result = ivr("validate", "--diff", str(old), str(new))  # nothing built anywhere
    assert result.returncode == 1
    assert str(old) not in result.stderr  # OLD runs already: its audio is not asked for
    assert f"{new}:" in result.stderr and "no prompt audio has been built" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"ivr validate --diff: NEW {new} is invalid")


# -- the summary of a SIGHUP reload ---------------------------------------------------------------


@pytest.fixture
def served(config_copy: Path, config: Config, tmp_path: Path) -> Path:
    """The config copy with its built audio, on the ``repository`` database, reading a
    copy of the prompt texts (the tests edit it)."""
    texts = tmp_path / "prompts" / "uk.yaml"
    shutil.copy(ROOT / "prompts" / "uk.yaml", texts)
    text = config_copy.read_text(encoding="utf-8")
    text = text.replace(str(ROOT / "prompts" / "uk.yaml"), "prompts/uk.yaml")
    config_copy.write_text(
        text.replace("url: sqlite:///ivr.sqlite3", f"url: {config.database_url}"),
        encoding="utf-8",
    )
    return config_copy


def test_a_reload_logs_what_changed_and_an_unchanged_one_says_no_changes(
    served, repository, caplog
):
    provider = ConfigProvider(load(served, for_calls=True), served, repository)
    config = provider.current.config
    running = Server(config, CallRecorder(repository, provider.current.journal), provider=provider)
    try:
        call = Caller(running.address, network_env(config))
        call.answer_until("WAIT FOR DIGIT")  # a call at the main menu while the file changes
        edit(served, MAIN_REDIRECT, '"7": {action: operator, topic: D99}')
        edit(served.parent / "prompts" / "uk.yaml", PROMPT, 'invalid_choice: "Немає такого."')
        with caplog.at_level(logging.INFO, logger="ivr.transport.fastagi"):
            assert running.call(running.server.reload())
        logged = [r.getMessage() for r in caplog.records if r.name == "ivr.transport.fastagi"]
        start = next(i for i, m in enumerate(logged) if m.startswith("config reloaded from"))
        assert logged[start + 1 :] == [
            'config reload: option changed: main "7": redirect D11 -> operator D99',
            'config reload: prompt changed: invalid_choice "На жаль, такого варіанта немає. '
            'Будь ласка, спроб…" -> "Немає такого."',
            "config reload: audio to rebuild (1):",
            'config reload:   invalid_choice "Немає такого." '
            "(text changed, the audio says another text)",
            f"config reload: then run 'ivr prompts build --config {served}'",
        ]
        assert all(r.levelno == logging.INFO for r in caplog.records if "reload:" in r.message)
        call.reply("200 result=0")  # the running call goes on
        assert call.finish()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="ivr.transport.fastagi"):
            assert running.call(running.server.reload())
        assert "config reload: audio to rebuild (1):" in caplog.messages  # still not built
        built = ivr("prompts", "build", "--config", str(served), "--engine", "espeak")
        assert built.returncode == 0 and "1 built" in built.stdout, built.stdout + built.stderr
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="ivr.transport.fastagi"):
            assert running.call(running.server.reload())
        assert "config reload: no changes" in caplog.messages
        fresh = tcp_call(running.address, config, "h")  # the loop serves calls on
        assert [e["id"] for e in fresh.events if e["type"] == "prompt"][:1] == ["welcome_dso"]
    finally:
        running.stop()


def test_the_servers_settings_are_said_once_for_the_main_config_not_for_each_profile(tmp_path):
    diff = compare(tmp_path, ("  journal: ivr-journal.jsonl", "  journal: spool/ivr-journal.jsonl"))
    main, supplier = diff.companies
    assert [(s.name, s.old, s.new) for s in main.settings] == [
        ("journal_path", "ivr-journal.jsonl", "spool/ivr-journal.jsonl")
    ]
    assert supplier.id == "demoenergozbut" and supplier.settings == ()
