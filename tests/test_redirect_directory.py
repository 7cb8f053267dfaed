"""Misrouted callers routed with the directory (action ``redirect`` without ``to``): the
engine with a scripted Asterisk, the caller-ID look-up answered in memory."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SHIPPED_CONFIG, SUPPLIER_CONFIG
from scripted import Everything, ScriptedAsterisk
from test_config import make_config

from ivr.accounts.model import Account, Address
from ivr.config import load_config
from ivr.config.model import Config
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.effects import AllocateAppealNumber, EffectRunner, FindAccount, FindAccountsByPhone
from ivr.flow.engine import CallFlow
from ivr.simulator import asterisk_env
from ivr.speech import plan_phone
from ivr.store.appeals import AppealNumberAllocator
from ivr.store.records import CallRecord, Outcome, Result

NOON = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
#: a sample account (examples/sample/accounts.csv): Калинове, supplier «Тестпостач»
KALYNOVE = Account(
    number="2010000001",
    eic=None,
    phones=("+380500000001",),
    address=Address("Калинове", "вул. Вигадана", "12-А"),
    groups=("3.1",),
    supplier="Тестпостач",
)


@pytest.fixture(scope="module")
def dso() -> Config:
    return load_config(SHIPPED_CONFIG)


@pytest.fixture(scope="module")
def supplier() -> Config:
    return load_config(SUPPLIER_CONFIG)


def call(
    config: Config, keys: str, caller: str = "0445550000", numbers: Path | None = None
) -> tuple[CallRecord, ScriptedAsterisk]:
    """One call through the config's menus by a caller who listens to every prompt
    (``numbers``: where appeal numbers are allocated, for a call that reaches the operator)."""
    accounts = {a.phones[0]: a for a in (KALYNOVE,)}
    effects = EffectRunner(
        {
            FindAccountsByPhone: lambda e: [accounts[e.phone]] if e.phone in accounts else [],
            FindAccount: lambda e: None,
        }
    )
    if numbers is not None:
        allocator = AppealNumberAllocator(numbers, 1, config.company.tz)
        effects.handlers[AllocateAppealNumber] = lambda e: allocator.next(e.moment)
    context = CallContext.from_env(asterisk_env(caller, "0800000373"), "simulator")
    flow = CallFlow(config, context, lambda: NOON, audio=Everything())
    asterisk = ScriptedAsterisk(keys, patient=True)
    return drive_sync(flow.run(), asterisk.send, effects), asterisk


def after(prompts: list[str], first: str) -> list[str]:
    return prompts[prompts.index(first) :]


def test_a_dso_caller_known_by_caller_id_asking_about_a_bill_gets_their_supplier(dso):
    record, asterisk = call(dso, "7 1", caller="0500000001")
    number = plan_phone("0800000315")  # «Тестпостач» in examples/directory.yaml
    heard = after(asterisk.prompts, "identify_by_phone")
    assert heard == [
        "identify_by_phone",
        "misrouted_supplier",
        "company_testpostach",
        "misrouted_number",
        *number,
        "misrouted_offer",
    ]
    assert "misrouted_region" not in asterisk.prompts
    assert record.outcome is Outcome.REDIRECTED and record.result is Result.REDIRECT
    assert record.transfer_to == "0800000315" and asterisk.variables["IVR_RESULT"] == "redirect"
    assert record.redirect_company == "testpostach"
    assert record.topic_code == "D11" and record.account_number == KALYNOVE.number


def test_an_unknown_caller_picks_a_region_and_hears_its_universal_supplier(dso):
    record, asterisk = call(dso, "7 2 t t")  # Чернігівська область, then no transfer
    heard = after(asterisk.prompts, "misrouted_region")
    assert heard[:4] == [
        "misrouted_region",
        "misrouted_universal",
        "company_zrazokzbut",
        "misrouted_number",
    ]
    assert heard[4 : 4 + len(plan_phone("0800000317"))] == list(plan_phone("0800000317"))
    assert heard[-3:] == ["misrouted_offer", "misrouted_offer", dso.farewell_prompt]
    assert record.outcome is Outcome.REDIRECTED and record.result is Result.HANGUP
    assert record.redirect_company == "zrazokzbut" and record.transfer_to is None
    assert {"menu": "main", "key": "2", "event": "region_chernihivska"} in record.path


def test_a_supplier_caller_with_a_grid_question_gets_the_dso_of_their_settlement(supplier):
    record, asterisk = call(supplier, "6 1", caller="0500000001")
    assert "company_demooblenergo" in asterisk.prompts
    assert asterisk.prompts[asterisk.prompts.index("company_demooblenergo") - 1] == "misrouted_dso"
    assert record.transfer_to == "0800000373" and record.redirect_company == "demooblenergo"


def with_region(config: Config, key: str, region: str, national: str | None) -> Config:
    assert config.misrouted is not None
    regions = {**config.misrouted.regions, key: region}
    misrouted = dataclasses.replace(config.misrouted, regions=regions, national_number=national)
    return dataclasses.replace(config, misrouted=misrouted)


def test_an_area_without_a_company_hears_the_national_number(dso):
    config = with_region(dso, "3", "lvivska", "0800000300")
    record, asterisk = call(config, "7 3")
    heard = after(asterisk.prompts, "misrouted_nobody")
    assert heard == ["misrouted_nobody", *plan_phone("0800000300"), dso.farewell_prompt]
    assert record.outcome is Outcome.REDIRECTED and record.redirect_company is None
    assert record.path[-1] == {"menu": "main", "event": "redirect_unknown_area"}


def test_an_area_without_a_company_and_no_national_number_goes_to_the_operator(dso, tmp_path):
    config = with_region(dso, "3", "lvivska", None)
    record, asterisk = call(config, "7 3", numbers=tmp_path)
    assert "misrouted_nobody" not in asterisk.prompts
    assert record.outcome is Outcome.OPERATOR and record.result is Result.OPERATOR
    assert record.topic_code == "D11"


LEGACY = """redirects:
  supplier:
    company: "ТОВ «Демоенергозбут»"
    number: "0800000312"
    prompts: [supplier_info]
    offer_prompt: supplier_offer

entry_menu: main
"""


def test_a_fixed_redirect_of_an_older_config_still_works(tmp_path):
    path = make_config(
        tmp_path,
        ("entry_menu: main\n", LEGACY),
        (
            '"7": {action: redirect, topic: D11}',
            '"7": {action: redirect, to: supplier, topic: D11}',
        ),
    )
    record, asterisk = call(load_config(path), "7 1")
    assert after(asterisk.prompts, "supplier_info") == ["supplier_info", "supplier_offer"]
    assert record.transfer_to == "0800000312" and record.result is Result.REDIRECT
    assert record.redirect_company is None
