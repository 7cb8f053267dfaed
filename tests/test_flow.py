"""The call-flow engine, walked over the AGI byte protocol by the simulator."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SHIPPED_CONFIG, SUPPLIER_CONFIG, built_only, prompts_played
from shipped import single_company

from ivr.actions.announce import AnnounceAction
from ivr.actions.back import BackAction
from ivr.actions.base import Action
from ivr.actions.hangup import HangupAction
from ivr.actions.menu import MenuAction
from ivr.actions.operator import OperatorAction
from ivr.actions.redirect import RedirectAction
from ivr.actions.repeat import RepeatAction
from ivr.actions.transfer import TransferAction
from ivr.config import load_config
from ivr.config.directory import CompanyRole
from ivr.config.model import AppealSettings, Config, Menu
from ivr.simulator import asterisk_env
from ivr.store.records import Outcome, Result


def key_paths(config: Config) -> dict[str, list[str]]:
    """The shortest key sequence from the entry menu to every reachable menu."""
    paths = {config.entry_menu: []}
    queue = deque([config.entry_menu])
    while queue:
        name = queue.popleft()
        for key, action in sorted(config.menus[name].options.items()):
            if isinstance(action, MenuAction) and action.menu not in paths:
                paths[action.menu] = paths[name] + [key]
                queue.append(action.menu)
    return paths


def every_kind_config() -> Path:
    """The shipped DSO config plus the action kinds it does not use (transfer, hang-up with
    and without prompts, main), in the quality submenu."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    old = '      "2": {action: operator, topic: D2}\n'
    assert text.count(old) == 1
    extra = (
        '      "3": {action: transfer, number: "0441234567", topic: D2}\n'
        '      "4": {action: hangup}\n'
        '      "5": {action: hangup, prompts: [outage_current]}\n'
        '      "6": {action: main}\n'
    )
    text = text.replace(old, old + extra)
    text = text.replace("texts: prompts/uk.yaml", f"texts: {ROOT / 'prompts' / 'uk.yaml'}")
    text = single_company(text)
    text = text.replace("sounds: prompts ", f"sounds: {ROOT / 'prompts'} ")
    path = Path(tempfile.mkdtemp(prefix="ivr-every-kind-")) / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CONFIGS = {"dso": SHIPPED_CONFIG, "supplier": SUPPLIER_CONFIG, "every-kind": every_kind_config()}


def options_of(action_type: type[Action]) -> list[tuple[str, str, str]]:
    """(config, menu, key) of every reachable option of this type in the shipped configs."""
    cases = []
    for name, path in CONFIGS.items():
        config = load_config(path)
        for menu in key_paths(config):
            options = config.menus[menu].options
            chosen = [key for key in sorted(options) if type(options[key]) is action_type]
            cases += [(name, menu, key) for key in chosen]
    assert cases, action_type
    return cases


#: Wednesday 10:00 in Kyiv: the supplier's operators are at work.
WORKING_TIME = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
#: Sunday 03:00 in Kyiv: the supplier is closed, the DSO never is.
NIGHT = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


@dataclass
class Walk:
    """A call that went to an option and chose it (then ``after``), in working hours."""

    config: Config
    menu: Menu
    action: Any
    transcript: Any
    record: Any
    played: list[str]
    variables: dict[str, str]


@pytest.fixture
def choose(simulate, tmp_path):
    def run(role: str, menu_name: str, key: str, after: tuple[str, ...] = ()) -> Walk:
        config = dataclasses.replace(
            load_config(CONFIGS[role]),
            database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
            journal_path=tmp_path / "ivr-journal.jsonl",
        )
        menu = config.menus[menu_name]
        keys = [*key_paths(config)[menu_name], *key, *after]
        transcript = simulate(" ".join(keys), cfg=config, clock=lambda: WORKING_TIME)
        record = transcript.record
        assert record is not None and transcript.record_saved
        action = menu.options[key]
        assert {"menu": menu_name, "key": key, "action": action.kind} in record.path
        assert transcript.variables["IVR_CALL_ID"] == record.call_uid
        played = prompts_played(transcript)
        return Walk(config, menu, action, transcript, record, played, transcript.variables)

    return run


def test_every_menu_is_reachable_by_keys(config, supplier_config):
    assert set(key_paths(config)) == set(config.menus)
    assert set(key_paths(supplier_config)) == set(supplier_config.menus)


@pytest.mark.parametrize("role, menu_name, key", options_of(MenuAction))
def test_every_submenu_option_plays_its_menu(choose, role, menu_name, key):
    walk = choose(role, menu_name, key, after=("h",))
    target = walk.config.menus[walk.action.menu]
    assert walk.played[-len(target.greeting) :] == list(target.greeting)
    assert walk.record.path[-1]["menu"] == menu_name
    assert walk.record.outcome is Outcome.ABANDONED


@pytest.mark.parametrize("role, menu_name, key", options_of(AnnounceAction))
def test_every_announcement_is_heard_and_counted(choose, role, menu_name, key):
    walk = choose(role, menu_name, key, after=("h",))
    action = walk.action
    if action.then == "menu":  # the announcement, then the menu's short greeting
        after = list(walk.menu.short_greeting)
    else:  # the announcement, then goodbye
        after = [walk.config.farewell_prompt]
    assert walk.played[-len(action.prompts) - len(after) :] == [*action.prompts, *after]
    assert walk.record.topic_code == action.topic
    assert walk.record.outcome is Outcome.SELF_SERVED
    assert walk.record.result is Result.HANGUP


@pytest.mark.parametrize("role, menu_name, key", options_of(OperatorAction))
def test_every_operator_option_reaches_the_queue_with_its_topic(choose, role, menu_name, key):
    walk = choose(role, menu_name, key)
    config = walk.config
    assert walk.variables["IVR_RESULT"] == "operator"
    assert walk.variables["IVR_TRANSFER_TO"] == config.operator.queue_for(walk.action.topic)
    assert walk.record.topic_code == walk.action.topic
    assert walk.variables["IVR_TOPIC"] == walk.record.topic_code
    assert walk.record.outcome is Outcome.OPERATOR
    assert walk.played[-1] == config.operator.connecting_prompt


@pytest.mark.parametrize("role, menu_name, key", options_of(TransferAction))
def test_every_transfer_option_hands_over_its_number(choose, role, menu_name, key):
    walk = choose(role, menu_name, key)
    assert walk.variables["IVR_RESULT"] == "transfer"
    assert walk.variables["IVR_TRANSFER_TO"] == walk.action.number
    assert walk.record.outcome is Outcome.TRANSFERRED


@pytest.mark.parametrize("role, menu_name, key", options_of(RedirectAction))
def test_every_redirect_says_the_contacts_and_transfers(choose, role, menu_name, key):
    """An unknown caller picks the first region, hears the company and is connected (a fixed
    redirect: hears its prompts); the company comes from the directory of the config."""
    config = load_config(CONFIGS[role])
    action = config.menus[menu_name].options[key]
    if action.redirect is not None:
        redirect = config.redirects[action.redirect]
        first, transfer_key, number = redirect.prompts[0], redirect.transfer_key, redirect.number
        walk = choose(role, menu_name, key, after=(transfer_key,))
    else:
        assert config.misrouted is not None and action.role is not None
        region = config.misrouted.regions["1"]
        wanted = CompanyRole.DSO if action.role == "dso" else CompanyRole.UNIVERSAL_SUPPLIER
        company = config.directory.in_region(region, wanted)
        assert company is not None
        transfer_key, number = config.misrouted.transfer_key, company.number
        first = "misrouted_dso" if action.role == "dso" else "misrouted_universal"
        walk = choose(role, menu_name, key, after=("1", transfer_key))
        assert walk.record.redirect_company == company.id
    assert walk.variables["IVR_RESULT"] == "redirect"
    assert walk.variables["IVR_TRANSFER_TO"] == number
    assert walk.record.outcome is Outcome.REDIRECTED
    assert walk.record.topic_code == action.topic
    last = [e for e in walk.transcript.events if e["type"] == "prompt"][-1]
    assert (last["id"], last["interrupted_by"]) == (first, transfer_key)
    step = {"menu": menu_name, "key": transfer_key, "action": "redirect_transfer"}
    assert walk.record.path[-1] == step


@pytest.mark.parametrize("role, menu_name, key", options_of(HangupAction))
def test_every_hangup_option_says_goodbye(choose, role, menu_name, key):
    walk = choose(role, menu_name, key)
    assert walk.variables["IVR_RESULT"] == "hangup"
    assert walk.played[-1] == (walk.action.prompts or (walk.config.farewell_prompt,))[-1]
    assert walk.record.outcome is Outcome.SELF_SERVED


@pytest.mark.parametrize("role, menu_name, key", options_of(RepeatAction))
def test_every_repeat_key_plays_the_full_greeting_again(choose, role, menu_name, key):
    walk = choose(role, menu_name, key, after=("h",))
    greeting = list(walk.menu.greeting)
    assert walk.played[-len(greeting) :] == greeting
    assert walk.played.count(greeting[0]) == 2  # the first time (cut by the key) and again
    assert walk.record.outcome is Outcome.ABANDONED


@pytest.mark.parametrize("role, menu_name, key", options_of(BackAction))
def test_every_back_key_returns_to_the_parent_menu(choose, role, menu_name, key):
    walk = choose(role, menu_name, key, after=("h",))
    parent = walk.config.menus[walk.config.entry_menu]
    for step in key_paths(walk.config)[menu_name][:-1]:
        parent = walk.config.menus[parent.options[step].menu]
    assert walk.played[-len(parent.short_greeting) :] == list(parent.short_greeting)
    assert walk.record.outcome is Outcome.ABANDONED


def test_no_keys_at_all_goes_to_the_operator(config, simulate):
    transcript = simulate("")
    record = transcript.record
    entry = config.menus[config.entry_menu]
    assert transcript.variables["IVR_RESULT"] == "operator"
    assert record.outcome is Outcome.OPERATOR
    assert [s.get("event") for s in record.path].count("timeout") == entry.max_failures
    assert record.path[-1]["event"] == "max_failures"
    assert prompts_played(transcript).count(entry.timeout_prompt) == entry.max_failures - 1
    assert record.topic_code == (entry.topic or config.operator.topic)


def invalid_key(config):
    entry = config.menus[config.entry_menu]
    return next(k for k in "123456789*#" if k not in entry.options)


def test_invalid_keys_are_counted_and_lead_to_the_operator(config, simulate):
    bad = invalid_key(config)
    entry = config.menus[config.entry_menu]
    transcript = simulate(" ".join([bad] * entry.max_failures))
    record = transcript.record
    invalid = [s for s in record.path if s.get("event") == "invalid"]
    assert [s["key"] for s in invalid] == [bad] * entry.max_failures
    assert prompts_played(transcript).count(entry.invalid_prompt) == entry.max_failures - 1
    assert transcript.variables["IVR_RESULT"] == "operator"


def test_invalid_and_timeout_failures_are_counted_separately(config, simulate):
    entry = config.menus[config.entry_menu]
    bad = invalid_key(config)
    keys = " ".join([bad, "t"] * (entry.max_failures - 1) + ["h"])
    record = simulate(keys).record
    events = [s.get("event") for s in record.path]
    assert events.count("invalid") == events.count("timeout") == entry.max_failures - 1
    assert "max_failures" not in events
    assert record.outcome is Outcome.ABANDONED


def test_dozens_of_keys_at_once_end_sensibly(config, simulate):
    # 9 and 8 are wrong keys, 7 is the redirect to the supplier; its region question hears
    # 6 and 5, twice no region, so the caller hears the national number and goodbye: the rest
    # is never read.
    transcript = simulate("9 8 7 6 5 4 3 2 1 " * 6)
    record = transcript.record
    assert transcript.record_saved
    assert [(s.get("key"), s.get("event") or s.get("action")) for s in record.path] == [
        ("9", "invalid"),
        ("8", "invalid"),
        ("7", "redirect"),
        (None, "region_unknown"),
        (None, "redirect_unknown_area"),
    ]
    assert transcript.variables["IVR_RESULT"] == "hangup"
    assert record.outcome is Outcome.REDIRECTED
    assert prompts_played(transcript)[-1] == config.farewell_prompt
    assert not [e for e in transcript.events if e["type"] == "error"]


def test_key_pressed_during_greeting_interrupts_it(config, simulate):
    entry = config.menus[config.entry_menu]
    operator_key = next(k for k, a in entry.options.items() if isinstance(a, OperatorAction))
    transcript = simulate(operator_key)
    first = next(e for e in transcript.events if e["type"] == "prompt")
    assert first["id"] == entry.greeting[0]
    assert first["interrupted_by"] == operator_key
    assert entry.greeting[-1] not in prompts_played(transcript)[1:-1]


def normal_call_length(simulate) -> int:
    return sum(1 for e in simulate("1 h").events if e["type"] != "call")


def test_hang_up_at_every_step_is_logged(config, simulate, repository):
    for after in range(0, 14):
        transcript = simulate("1 2", hangup_after=after)
        record = transcript.record
        assert record is not None, after
        assert transcript.record_saved, after
        events = transcript.events
        hangups = [i for i, e in enumerate(events) if e["type"] == "hangup" and e["by"] == "caller"]
        if hangups:  # served only if the announcement was heard before the hang-up
            heard = any(
                e["type"] == "prompt" and e["id"] == "outage_current" and not e["interrupted_by"]
                for e in events[: hangups[0]]
            )
            expected = Outcome.SELF_SERVED if heard else Outcome.ABANDONED
            assert record.outcome is expected, after
            assert transcript.variables.get("IVR_RESULT") in (None, "hangup"), after
        else:  # the whole call ran: the IVR decided where it goes
            assert record.result is not None, after
        assert not [e for e in transcript.events if e["type"] == "error"], after
    assert repository.count_calls() == 14


@pytest.mark.parametrize("caller", ["unknown", "anonymous", "", '044"12\\34'])
def test_odd_caller_ids(simulate, caller):
    transcript = simulate("h", caller=caller)
    record = transcript.record
    assert record.caller_number is None
    assert record.caller_raw == (caller or "unknown")


def test_ukrainian_caller_id_is_normalised(simulate):
    record = simulate("h", caller="+380 67 123 45 67").record
    assert record.caller_raw == "+380 67 123 45 67"
    assert record.caller_number == "+380671234567"


def test_env_without_caller_id(config, simulate):
    env = asterisk_env("x", config.company.dialled_numbers[0])
    del env["agi_callerid"], env["agi_calleridname"]
    record = simulate("h", env=env).record
    assert record.caller_raw == "unknown"
    assert record.dialled_number == config.company.dialled_numbers[0]


def test_missing_prompt_file_is_logged_and_the_call_goes_on(config, simulate, caplog):
    import dataclasses

    first = config.menus[config.entry_menu].greeting[0]
    texts = {k: v for k, v in config.prompts.texts.items() if k != first}
    broken = dataclasses.replace(config, prompts=dataclasses.replace(config.prompts, texts=texts))
    with caplog.at_level(logging.WARNING):
        transcript = simulate("", cfg=broken)
    assert transcript.events[2]["type"] == "missing_prompt"
    assert transcript.variables["IVR_RESULT"] == "operator"
    assert f"prompt {first!r} could not be played" in caplog.text


def test_unwritable_database_reports_the_record_loudly(config, simulate, tmp_path, caplog):
    import dataclasses

    from ivr.simulator import KeyScript, simulate_builtin
    from ivr.store.recorder import CallRecorder
    from ivr.store.repository import CallRepository

    (tmp_path / "dir.sqlite3").mkdir()
    repo = CallRepository(f"sqlite:///{tmp_path / 'dir.sqlite3'}")
    env = asterisk_env("0441234567", config.company.dialled_numbers[0])
    with caplog.at_level(logging.ERROR):
        transcript = simulate_builtin(
            dataclasses.replace(config, database_url=str(repo.url)),
            CallRecorder(repo),
            env,
            KeyScript([]),
        )
    assert transcript.variables["IVR_RESULT"] == "operator"  # the caller still gets a person
    assert transcript.record is not None and not transcript.record_saved
    assert "CALL RECORD NOT SAVED" in caplog.text
    assert transcript.record.call_uid in caplog.text
    assert "0441234567" not in caplog.text and "*******567" in caplog.text  # masked


def test_supplier_operator_out_of_hours_goes_back_to_the_menu(supplier_config, simulate):
    transcript = simulate("0 h", cfg=supplier_config, clock=lambda: NIGHT)
    played = prompts_played(transcript)
    assert supplier_config.operator.closed_prompt in played
    assert played[-1] == supplier_config.menus["main"].short_greeting[-1]  # menu goes on
    assert transcript.record.outcome is Outcome.AFTER_HOURS
    assert not transcript.record.appeals


def test_supplier_max_failures_out_of_hours_says_goodbye(supplier_config, simulate):
    from ivr.transcript import merged_events

    transcript = simulate("", cfg=supplier_config, clock=lambda: NIGHT)
    heard = [
        e["text"] if e["type"] == "say" else e["id"]
        for e in merged_events(transcript.events)
        if e["type"] in ("say", "prompt")
    ]
    assert heard[-4:] == [  # Sunday 03:00: the operators are back on Monday at 08:00
        supplier_config.operator.closed_prompt,
        "hours_next",
        "завтра з восьмої до двадцятої",
        supplier_config.farewell_prompt,
    ]
    assert transcript.variables["IVR_RESULT"] == "hangup"
    assert transcript.record.outcome is Outcome.AFTER_HOURS


def test_supplier_in_hours_reaches_the_operator_with_an_appeal(supplier_config, simulate):
    transcript = simulate("0", cfg=supplier_config, clock=lambda: WORKING_TIME)
    assert transcript.variables["IVR_RESULT"] == "operator"
    appeal = transcript.record.appeals[0]
    assert transcript.variables["IVR_APPEAL_ID"] == appeal.appeal_number
    assert appeal.appeal_number.startswith("261125")
    assert appeal.topic_code == "S99" and appeal.topic_label == "Інше"


def test_the_appeal_is_due_by_its_topic_s_deadline_and_the_company_s_holidays(
    supplier_config, simulate
):
    """A bill check (S3: 5 working days) registered on Wednesday 25 November 2026: due on
    Wednesday 2 December; with Friday 27 and Monday 30 November as the company's days off,
    on Friday 4 December. End of the day, Kyiv time."""

    def due(config) -> str:
        transcript = simulate("1 5", cfg=config, clock=lambda: WORKING_TIME)
        [appeal] = transcript.record.appeals
        assert appeal.topic_code == "S3"
        return appeal.due_at.astimezone(supplier_config.company.tz).isoformat()

    assert due(supplier_config) == "2026-12-02T23:59:59+02:00"
    days_off = AppealSettings(holidays=frozenset({date(2026, 11, 27), date(2026, 11, 30)}))
    with_days_off = dataclasses.replace(supplier_config, appeals=days_off)
    assert due(with_days_off) == "2026-12-04T23:59:59+02:00"


def test_dso_answers_at_night(config, simulate):
    transcript = simulate("0", clock=lambda: NIGHT)
    assert transcript.variables["IVR_RESULT"] == "operator"


def test_operator_transfer_reads_the_appeal_number(config, simulate):
    from ivr.transcript import merged_events

    transcript = simulate("0")
    number = transcript.variables["IVR_APPEAL_ID"]
    said = [e for e in merged_events(transcript.events) if e["type"] == "say"]
    assert len(said) == 1
    digits = [f.split("/")[1] for f in said[0]["fragments"] if f.startswith("digits/")]
    assert "".join(digits) == number
    played = prompts_played(transcript)
    assert played.index(config.operator.appeal_prompt) < played.index(
        config.operator.connecting_prompt
    )


def test_appeal_number_is_not_half_said_without_audio(config, simulate):
    audio = built_only(config, frozenset(config.prompts.texts) - {"digits/7"})  # one not built
    transcript = simulate("0", audio=audio)
    assert not [e for e in transcript.events if "/" in str(e.get("id", ""))]
    assert config.operator.appeal_prompt not in prompts_played(transcript)
    assert transcript.variables["IVR_APPEAL_ID"]  # the operator still sees it
