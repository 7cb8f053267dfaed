"""The customer registry on SQLite and PostgreSQL: look-ups, replacing, upserting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import ROOT

from ivr.accounts.csv_import import read_accounts
from ivr.accounts.model import Account, Address
from ivr.store.accounts import AccountStore, AccountStoreError
from ivr.store.repository import CallRepository

SAMPLE = ROOT / "examples" / "sample" / "accounts.csv"


@pytest.fixture
def store(db_url: str):
    repository = CallRepository(db_url)
    repository.ensure_schema()
    yield AccountStore(repository)
    repository.dispose()


def account(number: str, *phones: str, eic: str | None = None, house: str = "1") -> Account:
    return Account(
        number=number,
        eic=eic,
        phones=phones,
        address=Address("Київ", "вул. Вигадана", house),
        groups=("3.1",),
    )


def sample() -> list[Account]:
    return read_accounts(Path(SAMPLE))


def test_the_sample_round_trips(store: AccountStore):
    accounts = sample()
    assert store.replace_all(accounts) == len(accounts) == store.count()
    for expected in accounts:
        assert store.by_number(expected.number) == expected
        if expected.eic:
            assert store.by_eic(expected.eic) == expected
            assert store.by_eic(expected.eic.lower()) == expected


def test_a_shared_phone_finds_every_account_and_an_account_has_several(store: AccountStore):
    store.replace_all(sample())
    shared = store.by_phone("+380500000001")
    assert [a.number for a in shared] == ["2010000001", "2010000002"]
    assert shared[0].address.house == "12-А"
    assert shared[0].groups == ("3.1",)
    two = store.by_number("2010000003")
    assert two is not None and two.phones == ("+380500000002", "+380670000003")
    assert [a.number for a in store.by_phone("+380670000003")] == ["2010000003"]
    assert store.by_number("2010000004").groups == ("3.1", "4.2")


def test_what_is_not_on_record_is_nothing(store: AccountStore):
    store.replace_all(sample())
    assert store.by_phone("+380991112233") == []
    assert store.by_number("2999999999") is None
    assert store.by_eic("62Z000000000108U") is None
    no_eic = store.by_number("1010000005")
    assert no_eic is not None and no_eic.eic is None and no_eic.supplier == "Тестпостач"
    no_phone = store.by_number("2010000006")
    assert no_phone is not None and no_phone.phones == () and no_phone.supplier is None


def test_replace_all_leaves_exactly_the_new_registry(store: AccountStore):
    store.replace_all(sample())
    store.replace_all([account("2020000001", "+380500000001")])
    assert store.count() == 1
    assert [a.number for a in store.by_phone("+380500000001")] == ["2020000001"]
    assert store.by_number("2010000001") is None


def test_upsert_replaces_the_same_numbers_and_keeps_the_others(store: AccountStore):
    store.replace_all(sample())
    moved = dataclasses.replace(
        store.by_number("2010000002"), phones=("+380500000009",), zones=3, groups=()
    )
    store.upsert([moved, account("2020000001", "+380500000001")])
    assert store.count() == 8
    assert store.by_number("2010000002") == moved
    assert [a.number for a in store.by_phone("+380500000001")] == ["2010000001", "2020000001"]
    assert store.by_number("2010000003") is not None


def test_an_eic_held_by_another_account_is_refused_and_nothing_changes(store: AccountStore):
    store.replace_all(sample())
    thief = account("2020000001", "+380500000777", eic="62Z0000000001017")
    with pytest.raises(AccountStoreError, match=r"\*{12}1017 .*\*{7}001 on record"):
        store.upsert([account("2020000002", "+380500000888"), thief])
    assert store.count() == 7
    assert store.by_phone("+380500000888") == []


def test_an_eic_may_move_between_accounts_replaced_together(store: AccountStore):
    store.replace_all(sample())
    first, second = store.by_number("2010000001"), store.by_number("2010000002")
    swapped = [
        dataclasses.replace(first, eic=second.eic),
        dataclasses.replace(second, eic=first.eic),
    ]
    store.upsert(swapped)
    assert store.by_eic(first.eic).number == "2010000002"


def test_duplicates_given_to_the_store_are_refused(store: AccountStore):
    with pytest.raises(AccountStoreError, match=r"\*{7}001 is given twice"):
        store.replace_all([account("2020000001"), account("2020000001")])
    eic = "62Z0000000001017"
    with pytest.raises(AccountStoreError, match=r"EIC \*{12}1017 is given twice"):
        store.upsert([account("2020000001", eic=eic), account("2020000002", eic=eic)])
    assert store.count() == 0


def test_a_large_import_is_one_transaction(store: AccountStore):
    accounts = [account(f"2{n:09d}", f"+38050{n % 5000:07d}") for n in range(12_000)]
    assert store.replace_all(accounts) == 12_000
    assert store.count() == 12_000
    assert len(store.by_phone("+380500000007")) == 3  # n = 7, 5007, 10007
    assert store.by_number("2000011999") == accounts[-1]


def test_the_store_hands_back_records_not_rows(store: AccountStore):
    store.replace_all(sample())
    found = store.by_phone("+380500000001")[0]
    assert type(found) is Account and type(found.address) is Address
    assert type(found.phones) is tuple and all(type(p) is str for p in found.phones)
    assert type(found.zones) is int and type(store.count()) is int


def test_the_registry_migration_goes_down_and_up_again(db_url: str):
    import sqlalchemy as sa
    from alembic import command

    from ivr.store.repository import alembic_config

    repository = CallRepository(db_url)
    repository.ensure_schema()
    AccountStore(repository).replace_all(sample())
    with repository.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    registry = {"accounts", "account_phones", "account_groups"}
    assert not registry & set(sa.inspect(repository.engine).get_table_names())
    repository.ensure_schema()
    assert AccountStore(repository).count() == 0
    repository.dispose()
