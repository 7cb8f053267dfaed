"""The registry CSV: read whole, every problem as FILE:LINE: column: message, nothing echoed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from ivr.accounts.csv_import import COLUMNS, RegistryFileError, check_accounts_file, read_accounts
from ivr.accounts.model import Account, Address

HEADER = ",".join(COLUMNS)
GOOD = "2010000001,62Z0000000001017,0500000001,Київ,вул. Вигадана,12-А,3.1,Тестпостач,1"


def write(tmp_path: Path, *lines: str, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = tmp_path / "accounts.csv"
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def problems(path: Path, length: int = 10) -> list[str]:
    return [str(p) for p in check_accounts_file(path, length)[1]]


def test_the_sample_reads_into_records():
    accounts = read_accounts(ROOT / "examples" / "sample" / "accounts.csv")
    assert len(accounts) == 7
    first = accounts[0]
    assert first == Account(
        number="2010000001",
        eic="62Z0000000001017",
        phones=("+380500000001",),
        address=Address("Калинове", "вул. Вигадана", "12-А"),
        groups=("3.1",),
        supplier="Тестпостач",
        zones=1,
    )
    assert accounts[2].phones == ("+380500000002", "+380670000003")
    assert accounts[3].groups == ("3.1", "4.2") and accounts[3].zones == 3
    assert accounts[4].eic is None and accounts[5].phones == () and accounts[5].address.street == ""


def test_a_bom_any_column_order_blank_lines_and_lower_case_eic_are_fine(tmp_path: Path):
    header = "zones,supplier,groups,house,street,settlement,phones,eic,account"
    phones = "+38 (050) 000-00-02; 0670000003"
    row = f"2,,4.2,3А,просп. Умовний,Бровари,{phones},62z0000000001033,2010000003"
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{header}\r\n{row}\r\n\r\n".encode())
    (account,) = read_accounts(path)
    assert account.number == "2010000003" and account.eic == "62Z0000000001033"
    assert account.phones == ("+380500000002", "+380670000003")
    assert account.address.house == "3А" and account.zones == 2 and account.supplier is None


def test_every_problem_names_the_file_line_and_column(tmp_path: Path):
    path = write(
        tmp_path,
        GOOD,
        "201000000,,,Київ,,1,,,",  # 9 digits
        "2010*00003,,,Київ,,1,,,",
        "20100000A4,,,Київ,,1,,,",
        "2010000005,62Z0000000001018,,Київ,,1,,,",  # wrong check character
        "2010000006,62Z00000000010,,Київ,,1,,,",
        "2010000007,,0441234567;12345;,Київ,,1,,,",
        "2010000008,,,Київ,,1,,,4",
        "2010000009,,,Київ,,1,3;3.1.2;3.x;3.1,,",
        "2010000001,62Z0000000001017,,Київ,,1,,,",  # both duplicates
        "2010000010,,,,,,,,",
        "2010000011,,,Київ,,1,,",
    )
    p = str(path)
    assert problems(path) == [
        f"{p}:3: account: 9 digits, expected 10",
        f"{p}:4: account: only digits 0-9 are allowed, found the character '*'",
        f"{p}:5: account: only digits 0-9 are allowed, found the letter 'A'",
        f"{p}:6: eic: ************1018: wrong check character or characters",
        f"{p}:7: eic: 14 characters, expected 16",
        f"{p}:8: phones: item 2 (**345) is not a Ukrainian phone number",
        f"{p}:8: phones: item 3 is empty",
        f"{p}:9: zones: '4' is not 1, 2 or 3",
        f"{p}:10: groups: item 1 ('3') is not a group N.M such as 3.1",
        f"{p}:10: groups: item 2 ('3.1.2') is not a group N.M such as 3.1",
        f"{p}:10: groups: item 3 ('3.x') is not a group N.M such as 3.1",
        f"{p}:11: account: *******001 already on line 2",
        f"{p}:11: eic: ************1017 already on line 2",
        f"{p}:12: settlement: missing",
        f"{p}:12: house: missing",
        f"{p}:13: row: 8 fields, expected 9",
    ]
    with pytest.raises(RegistryFileError) as caught:
        read_accounts(path)
    assert len(caught.value.problems) == 16


def test_messages_never_echo_a_row_or_a_whole_number(tmp_path: Path):
    secret_phone, secret_eic = "0931234567", "62Z1234567890121"
    path = write(
        tmp_path,
        f"12345,{secret_eic},{secret_phone};99{secret_phone},Київ,вул. Таємна,1,,,",
        f"2010000001,{secret_eic[:-1]},{secret_phone},Київ,вул. Таємна,1,,,9",
    )
    text = "\n".join(problems(path))
    for secret in (secret_phone, secret_eic, secret_eic[:-1], "вул. Таємна", "12345"):
        assert secret not in text


def test_the_account_length_comes_from_the_caller(tmp_path: Path):
    path = write(tmp_path, "20100001,,,Київ,,1,,,")
    assert problems(path, length=8) == []
    assert problems(path) == [f"{path}:2: account: 8 digits, expected 10"]


def test_a_bad_header_is_reported_and_no_row_is_read(tmp_path: Path):
    path = write(tmp_path, GOOD, header="account,eic,phone,settlement,street,house,groups,zones")
    assert problems(path) == [
        f"{path}:1: header: unknown column(s): phone; expected {HEADER}",
        f"{path}:1: header: missing column(s): phones, supplier; expected {HEADER}",
    ]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert problems(empty) == [f"{empty}:1: header: empty file; expected the header {HEADER}"]


def test_a_file_that_is_not_utf8_or_not_csv_is_reported_with_its_line(tmp_path: Path):
    path = write(tmp_path, GOOD, "2010000002,,,Київ,,1,,,", encoding="cp1251")
    assert problems(path) == [f"{path}:2: file: not UTF-8 text (save the file as CSV UTF-8)"]
    broken = write(tmp_path, GOOD, '2010000002,,,"Київ,,1,,,')
    assert [p.split(": not valid CSV")[0] for p in problems(broken)] == [f"{broken}:3: file"]
    missing = tmp_path / "nowhere.csv"
    assert problems(missing)[0].startswith(f"{missing}:0: file: cannot read")


def test_a_quoted_field_over_two_lines_keeps_the_line_numbers_right(tmp_path: Path):
    path = write(tmp_path, '2010000001,,,Київ,"вул.\nВигадана",1,,,', "2010000002,,,Київ,,1,,,7")
    assert problems(path) == [f"{path}:4: zones: '7' is not 1, 2 or 3"]


def test_overlong_text_is_reported_not_cut(tmp_path: Path):
    path = write(tmp_path, f"2010000001,,,Київ,,{'1' * 21},,,")
    assert problems(path) == [f"{path}:2: house: 21 characters, at most 20"]
