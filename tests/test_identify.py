"""Identifying the caller (``ivr.flow.identify``, action ``identify``), with a scripted Asterisk
and the look-ups answered from a small in-memory registry (effects, as the design allows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import SHIPPED_CONFIG
from scripted import Everything, ScriptedAsterisk
from shipped import single_company

from ivr.accounts.eic import eic_from_digits
from ivr.accounts.model import Account, Address
from ivr.agi.types import AgiHangup
from ivr.config import load_config
from ivr.config.model import Config
from ivr.flow.call import CallContext
from ivr.flow.context import FlowContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import EffectRunner, FindAccount, FindAccountsByPhone
from ivr.flow.identify import identify
from ivr.simulator import asterisk_env
from ivr.speech import plan_digits

NOON = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
EIC_DIGITS = "000123456789"


def account(number: str, phones: tuple[str, ...] = (), eic: str | None = None) -> Account:
    return Account(
        number=number,
        eic=eic,
        phones=phones,
        address=Address("Демосело", "вул. Вигадана", "12-А"),
        groups=("3.1",),
    )


ALONE = account("2000000001", ("+380441110001",))
FIRST = account("2000001234", ("+380442220002",))
SECOND = account("2000005678", ("+380442220002",))
BY_EIC = account("2000009999", eic=eic_from_digits(EIC_DIGITS))
REGISTRY = [ALONE, FIRST, SECOND, BY_EIC]


class Registry:
    """Answers the look-up effects from ``REGISTRY`` and remembers what was asked."""

    def __init__(self, fail: bool = False) -> None:
        self.asked: list[Any] = []
        self.fail = fail

    def by_phone(self, effect: FindAccountsByPhone) -> list[Account]:
        self.asked.append(effect)
        if self.fail:
            raise OSError("database unavailable")
        return [a for a in REGISTRY if effect.phone in a.phones]

    def find(self, effect: FindAccount) -> Account | None:
        self.asked.append(effect)
        if self.fail:
            raise OSError("database unavailable")
        return next(
            (
                a
                for a in REGISTRY
                if a.number == effect.number or (effect.eic and a.eic == effect.eic)
            ),
            None,
        )

    def runner(self) -> EffectRunner:
        return EffectRunner({FindAccountsByPhone: self.by_phone, FindAccount: self.find})


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED_CONFIG)


def run_identify(
    config: Config, keys: str, caller: str = "0445550000", registry: Registry | None = None
):
    registry = registry or Registry()
    call = CallContext.from_env(asterisk_env(caller, "0800300373"), "simulator")
    ctx = FlowContext(config, call, lambda: NOON, Everything())
    asterisk = ScriptedAsterisk(keys, patient=True)
    menu = config.menus[config.entry_menu]
    found = drive_sync(identify(ctx, menu), asterisk.send, registry.runner())
    return found, ctx, asterisk, registry


def events(ctx: FlowContext) -> list[str]:
    return [step["event"] for step in ctx.state.path if "event" in step]


def test_one_account_on_the_caller_number_identifies_at_once(shipped):
    found, ctx, asterisk, registry = run_identify(shipped, "", caller="0441110001")
    assert found == ALONE and ctx.state.account == ALONE
    assert asterisk.prompts == ["identify_by_phone"]
    assert registry.asked == [FindAccountsByPhone("+380441110001")]
    assert events(ctx) == ["identified_by_caller_id"]


def test_several_accounts_on_one_number_are_offered_by_their_last_digits(shipped):
    found, ctx, asterisk, _ = run_identify(shipped, "2", caller="0442220002")
    assert found == SECOND
    said = asterisk.prompts
    assert said[0] == "identify_several"
    assert said.count("identify_ending") == 2
    assert "digits/5" in said and "digits/1" in said  # "…1234: press 1", "…5678: press 2"
    assert events(ctx) == ["identified_by_choice"]


def test_a_key_that_picks_no_account_never_guesses(shipped):
    keys = "9 2 0 0 0 0 0 9 9 9 9 # 1"  # no such choice: the keypad, then an account
    found, ctx, asterisk, registry = run_identify(shipped, keys, caller="0442220002")
    assert found == BY_EIC
    assert registry.asked[-1] == FindAccount(number="2000009999")
    assert "identify_ask" in asterisk.prompts


def test_an_unknown_caller_keys_the_account_and_confirms_it(shipped):
    found, ctx, asterisk, registry = run_identify(shipped, "2 0 0 0 0 0 1 2 3 4 # 1")
    assert found == FIRST
    said = asterisk.prompts
    start = said.index("identify_entered")
    # read back digit by digit, in natural groups
    assert said[start + 1 : said.index("identify_confirm")] == list(plan_digits("2000001234"))
    assert said[-1] == "identify_found"
    assert registry.asked == [
        FindAccountsByPhone("+380445550000"),
        FindAccount(number="2000001234"),
    ]


def test_the_twelve_digits_of_an_eic_find_the_account(shipped):
    keys = " ".join(EIC_DIGITS) + " 1"  # twelve digits finish the entry by themselves
    found, _, _, registry = run_identify(shipped, keys)
    assert found == BY_EIC
    assert registry.asked[-1] == FindAccount(eic=eic_from_digits(EIC_DIGITS))


def test_a_wrong_entry_is_said_and_entered_again(shipped):
    keys = "1 2 3 # " + "2 0 0 0 0 0 0 0 0 1 # 1"  # too short, then right
    found, ctx, asterisk, _ = run_identify(shipped, keys)
    assert found == ALONE
    assert "identify_invalid" in asterisk.prompts
    assert events(ctx) == ["identify_invalid", "identified_by_keypad"]


def test_star_starts_the_entry_again(shipped):
    found, *_ = run_identify(shipped, "9 9 * 2 0 0 0 0 0 0 0 0 1 # 1")
    assert found == ALONE


def test_no_at_the_read_back_lets_the_caller_enter_it_again(shipped):
    keys = "2 0 0 0 0 0 1 2 3 4 # 2 " + "2 0 0 0 0 0 5 6 7 8 # 1"
    found, *_ = run_identify(shipped, keys)
    assert found == SECOND


def test_unknown_accounts_use_up_the_attempts(shipped):
    unknown = "1 1 1 1 1 1 1 1 1 1 # 1 "
    found, ctx, asterisk, _ = run_identify(shipped, unknown * shipped.identification.attempts)
    assert found is None and ctx.state.account is None
    assert asterisk.prompts.count("identify_not_found") == shipped.identification.attempts


def test_a_failed_look_up_is_said_not_silenced(shipped):
    found, ctx, asterisk, _ = run_identify(
        shipped, "2 0 0 0 0 0 0 0 0 1 # 1", registry=Registry(fail=True)
    )
    assert found is None
    assert asterisk.prompts[-1] == "identify_unavailable"
    assert "account look-up" in (ctx.state.error or "")


def test_a_hang_up_while_entering_digits_leaves_nothing_half_done(shipped):
    with pytest.raises(AgiHangup):
        run_identify(shipped, "2 0 0 0 h")


# -- the identify and outage_status actions in a menu --------------------------------------


def with_actions(tmp_path) -> Config:
    """The shipped config plus ``"7": identify`` and ``"8": outage_status`` in the outages
    submenu."""
    from conftest import ROOT

    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    old = '      "3": {action: announce, prompts: [outage_planned], topic: D1}\n'
    assert text.count(old) == 1
    extra = '      "7": {action: identify}\n      "8": {action: outage_status, topic: D1}\n'
    text = text.replace(old, old + extra)
    text = text.replace("texts: prompts/uk.yaml", f"texts: {ROOT / 'prompts' / 'uk.yaml'}")
    text = single_company(text)
    text = text.replace("sounds: prompts ", f"sounds: {ROOT / 'prompts'} ")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def outage_call(config: Config, keys: str, caller: str, report: Any, registry: Registry):
    from ivr.flow.effects import LookUpOutages
    from ivr.flow.engine import CallFlow

    asked: list[LookUpOutages] = []

    def look_up(effect: LookUpOutages) -> Any:
        asked.append(effect)
        if isinstance(report, Exception):
            raise report
        return report

    effects = registry.runner()
    effects.handlers[LookUpOutages] = look_up
    call = CallContext.from_env(asterisk_env(caller, "0800300373"), "simulator")
    flow = CallFlow(config, call, lambda: NOON, audio=Everything())
    asterisk = ScriptedAsterisk(keys, patient=True)
    record = drive_sync(flow.run(), asterisk.send, effects)
    return record, asterisk, asked


def emergency_report() -> Any:
    from ivr.outages.model import Area, Outage, OutageKind, OutageStatus, Restoration
    from ivr.outages.report import OutageReport

    outage = Outage(
        "A-1",
        OutageKind.EMERGENCY,
        Area("Демосело"),
        NOON,
        OutageStatus.ACTIVE,
        (Restoration(NOON.replace(hour=16), NOON, "dispatch"),),
    )
    return OutageReport((outage,), (), NOON)


def test_a_caller_known_by_number_hears_the_outage_at_their_address(tmp_path):
    config = with_actions(tmp_path)
    record, asterisk, asked = outage_call(
        config, "1 8 h", "0441110001", emergency_report(), Registry()
    )
    said = asterisk.prompts
    assert said.index("identify_by_phone") < said.index("outage_emergency_here")
    assert "outage_restore_at" in said
    assert [effect.account for effect in asked] == [ALONE]
    assert record.account_number == ALONE.number
    assert record.topic_code == "D1"
    assert record.outcome.value == "self_served"


def test_an_unknown_caller_is_offered_the_keypad_and_then_hears_the_status(tmp_path):
    config = with_actions(tmp_path)
    keys = "1 8 5 2 0 0 0 0 0 1 2 3 4 # 1 h"
    record, asterisk, asked = outage_call(
        config, keys, "0445550000", emergency_report(), Registry()
    )
    said = asterisk.prompts
    assert said.index("outage_not_identified") < said.index("identify_ask")
    assert said.index("identify_found") < said.index("outage_emergency_here")
    assert record.account_number == FIRST.number


def test_an_unknown_caller_who_does_not_press_1_goes_back_to_the_menu(tmp_path):
    config = with_actions(tmp_path)
    record, asterisk, asked = outage_call(config, "1 8 t h", "0445550000", None, Registry())
    assert asked == [] and record.account_number is None
    assert asterisk.prompts[-len(config.menus["outages"].short_greeting) :] == list(
        config.menus["outages"].short_greeting
    )


def test_an_outage_look_up_that_fails_is_said_and_the_operator_offered(tmp_path):
    config = with_actions(tmp_path)
    record, asterisk, _ = outage_call(
        config, "1 8 0", "0441110001", OSError("database unavailable"), Registry()
    )
    said = asterisk.prompts
    assert said.index("outage_unavailable") < said.index("outage_offer_operator")
    assert asterisk.variables["IVR_RESULT"] == "operator"  # 0, the operator key
    assert "outage look-up" in record.error


def test_identify_that_fails_every_attempt_hands_the_caller_to_the_operator(tmp_path):
    config = with_actions(tmp_path)
    unknown = "1 1 1 1 1 1 1 1 1 1 # 1 "
    keys = "1 7 " + unknown * config.identification.attempts
    record, asterisk, _ = outage_call(config, keys, "0445550000", None, Registry())
    assert asterisk.variables["IVR_RESULT"] == "operator"
    assert record.account_number is None


def test_a_menu_that_uses_every_digit_offers_no_keypad_entry(shipped):
    import dataclasses

    from ivr.actions.outage_status import OutageStatusAction, handle, offer_key
    from ivr.actions.repeat import RepeatAction
    from ivr.flow.next import Stay

    menu = shipped.menus["outages"]
    full = dataclasses.replace(menu, options={**{k: RepeatAction() for k in "1234567890"}})
    assert offer_key(menu) == "5" and offer_key(full) is None
    call = CallContext.from_env(asterisk_env("0445550000", "0800300373"), "simulator")
    ctx = FlowContext(shipped, call, lambda: NOON, Everything())
    asterisk = ScriptedAsterisk("", patient=True)
    after = drive_sync(handle(OutageStatusAction(), ctx, full), asterisk.send, Registry().runner())
    assert after == Stay() and asterisk.prompts == []
