"""EIC check characters, account numbers, masking and house keys."""

from __future__ import annotations

import pytest

from ivr.accounts.eic import EicError, check_char, eic_from_digits, is_valid_eic
from ivr.accounts.houses import house_key
from ivr.accounts.numbers import (
    AccountNumberError,
    account_number_problem,
    check_account_number,
    mask_account,
    mask_eic,
)

#: EIC codes ENTSO-E publishes for bidding zones and control areas.
PUBLISHED = [
    "10YBA-JPCC-----D",
    "10YCS-CG-TSO---S",
    "10YCH-SWISSGRIDZ",
    "10YNL----------L",
    "10YHU-MAVIR----U",
    "10Y1001A1001A82H",
    "10YNO-1--------2",
    "10YPL-AREA-----S",
    "10YDE-RWENET---I",
    "10Y1001A1001A796",
    "10YLT-1001A0008Q",
    "10Y1001A1001B012",
    "10YGR-HTSO-----Y",
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_have_the_right_check_character(code):
    assert check_char(code[:15]) == code[15]
    assert is_valid_eic(code)
    assert is_valid_eic(code.lower())


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_other_check_character_is_refused(code):
    for wrong in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-":
        if wrong != code[15]:
            assert not is_valid_eic(code[:15] + wrong)


def test_a_changed_or_swapped_character_is_caught():
    code = "10YCH-SWISSGRIDZ"
    assert not is_valid_eic("10YCH-SWISSGRDIZ")
    assert not is_valid_eic("11YCH-SWISSGRIDZ")
    assert not is_valid_eic(code[:-1])
    assert not is_valid_eic(code + "Z")
    assert not is_valid_eic("10YCH-SWISS_RIDZ")


def test_check_char_refuses_what_is_not_fifteen_eic_characters():
    with pytest.raises(EicError, match="15 characters"):
        check_char("62Z")
    with pytest.raises(EicError, match="'Ї'"):
        check_char("62Z00000000000Ї")


def test_the_twelve_digits_a_caller_keys_give_the_whole_code():
    assert eic_from_digits("000000000101") == "62Z0000000001017"
    assert is_valid_eic(eic_from_digits("123456789012"))
    for bad in ("12345678901", "1234567890123", "12345678901A", "١٢٣٤٥٦٧٨٩٠١٢"):
        with pytest.raises(EicError, match="12 digits"):
            eic_from_digits(bad)


def test_digits_whose_check_character_would_be_a_hyphen_give_no_code():
    assert check_char("62Z000000000105") == "-"
    assert not is_valid_eic("62Z000000000105-")
    with pytest.raises(EicError, match="'-'"):
        eic_from_digits("000000000105")


def test_account_numbers_are_digits_of_the_configured_length():
    assert account_number_problem("2010000001") is None
    assert account_number_problem("20100001", length=8) is None
    assert account_number_problem("201000000") == "9 digits, expected 10"
    assert account_number_problem("") == "missing"
    assert "the character '*'" in account_number_problem("2010*00001")
    assert "the letter 'А'" in account_number_problem("А010000001")
    assert "the character '٣'" in account_number_problem("201000000٣")  # not an ASCII digit
    assert check_account_number(" 2010000001 ") == "2010000001"
    with pytest.raises(AccountNumberError, match="account number: 3 digits, expected 10"):
        check_account_number("201")


def test_masks_keep_only_the_last_characters():
    assert mask_account("2010000123") == "*******123"
    assert mask_eic("62Z0000000001017") == "************1017"
    assert mask_account(None) == mask_eic(None) == "-"


@pytest.mark.parametrize("written", ["12-А", "12А", "12 а", "12-A", "12a", "12 – А", "12‑а"])
def test_house_numbers_match_however_the_suffix_is_written(written):
    assert house_key(written) == "12А"


def test_house_keys_keep_what_makes_houses_different():
    assert house_key("5/2") == "5/2" != house_key("52")
    assert house_key("3Б") == "3Б" != house_key("3В")
    assert house_key("3b") == "3B"  # a small Latin b looks like no Cyrillic letter: kept
