import pytest

from ivr.callerid import clean_text, from_env, mask, normalise_ua


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0441234567", "+380441234567"),
        ("+380 44 123-45-67", "+380441234567"),
        ("380671234567", "+380671234567"),
        ("00380671234567", "+380671234567"),
        ("80671234567", "+380671234567"),
        ("(067) 123 45 67", "+380671234567"),
        ("+48123456789", None),  # Polish number: kept raw, not normalised
        ("12345", None),
        ("0001234567", None),  # no Ukrainian code starts with 0
        ("", None),
        ("abc", None),
        ("+3804412345678", None),  # one digit too many
    ],
)
def test_normalise_ua(raw, expected):
    assert normalise_ua(raw) == expected


@pytest.mark.parametrize("raw", ["unknown", "anonymous", "Anonymous", "", "  "])
def test_withheld_numbers_are_allowed(raw):
    caller = from_env({"agi_callerid": raw, "agi_calleridname": "unknown"})
    assert caller.number is None
    assert caller.withheld
    assert caller.name == ""


def test_missing_callerid_key():
    caller = from_env({})
    assert caller.raw == "unknown"
    assert caller.number is None


def test_control_characters_are_removed():
    caller = from_env({"agi_callerid": '0441234567\n"HANGUP', "agi_calleridname": 'Іван "\\'})
    assert "\n" not in caller.raw
    assert caller.raw == '0441234567 "HANGUP'
    assert caller.name == 'Іван "\\'
    assert clean_text("a\x00b\rc") == "a b c"


def test_mask_keeps_last_digits_only():
    assert mask("+380441234567") == "**********567"
    assert mask(None) == "-"
    assert mask("unknown") == "unknown"
