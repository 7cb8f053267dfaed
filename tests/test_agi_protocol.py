"""Sans-IO AGI protocol: quoting, Asterisk's parse_args port, replies, env blocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.agi import (
    MAX_LINE,
    AgiArgumentError,
    AgiCommandError,
    AgiHangup,
    AgiProtocolError,
    Command,
    EnvBlockReader,
    Reply,
    ReplyReader,
    decode_line,
    format_command,
    parse_env,
    parse_reply,
    quote_arg,
    split_command_line,
)
from ivr.agi.asterisk_args import MAX_ARGS
from ivr.agi.protocol import MAX_ENV_LINES, CallState

# --------------------------------------------------------------------------- quote_arg


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("", '""'),
        ("hello", '"hello"'),
        ("a b", '"a b"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("\\", '"\\\\"'),
        ('\\"', '"\\\\\\""'),
        ("tab\there", '"tab\there"'),
        ("Привіт, світ", '"Привіт, світ"'),
    ],
)
def test_quote_arg(value: str, quoted: str) -> None:
    assert quote_arg(value) == quoted


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "\n", "x\r\nHANGUP", "nul\0byte"])
def test_quote_arg_rejects_line_breaks_and_nul(bad: str) -> None:
    with pytest.raises(AgiArgumentError):
        quote_arg(bad)


def test_quote_arg_rejects_non_str() -> None:
    with pytest.raises(AgiArgumentError):
        quote_arg(12)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- format_command


def test_format_command_exact_bytes() -> None:
    cmd = Command("STREAM FILE", ("uk/welcome", "12", "0"))
    assert format_command(cmd) == b'STREAM FILE "uk/welcome" "12" "0"\n'
    assert format_command(Command("ANSWER")) == b"ANSWER\n"
    assert format_command(Command("SET VARIABLE", ("N", 'Іван "Ваня"'))) == (
        'SET VARIABLE "N" "Іван \\"Ваня\\""\n'.encode()
    )
    assert format_command(Command("GET DATA", ("beep", 5000, 4))) == b'GET DATA "beep" "5000" "4"\n'


@pytest.mark.parametrize("name", ["answer", "", " ANSWER", "ANSWER ", "STREAM\nFILE", "A", "X1"])
def test_format_command_rejects_bad_names(name: str) -> None:
    with pytest.raises(AgiArgumentError):
        format_command(Command(name))


@pytest.mark.parametrize("arg", [None, 1.5, True, b"bytes"])
def test_format_command_rejects_non_text_args(arg: object) -> None:
    with pytest.raises(AgiArgumentError):
        format_command(Command("VERBOSE", (arg,)))  # type: ignore[arg-type]


def test_format_command_rejects_newline_injection() -> None:
    with pytest.raises(AgiArgumentError):
        format_command(Command("SET VARIABLE", ("V", 'a"b\nHANGUP')))


def test_format_command_rejects_lone_surrogate() -> None:
    with pytest.raises(AgiArgumentError):
        format_command(Command("VERBOSE", ("\udc80",)))


def test_format_command_length_limit() -> None:
    overhead = len(b'VERBOSE ""\n')
    ok = "x" * (MAX_LINE - 1 - overhead)
    assert len(format_command(Command("VERBOSE", (ok,)))) == MAX_LINE - 1
    with pytest.raises(AgiArgumentError):
        format_command(Command("VERBOSE", (ok + "x",)))
    # The limit is in bytes: Cyrillic letters take two.
    with pytest.raises(AgiArgumentError):
        format_command(Command("VERBOSE", ("ї" * (MAX_LINE // 2),)))


# --------------------------------------------------------------------------- split_command_line


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ('STREAM FILE "hello" ""', ["STREAM", "FILE", "hello", ""]),
        ("STREAM FILE hello 12\n", ["STREAM", "FILE", "hello", "12"]),
        ("  ANSWER  ", ["ANSWER"]),
        ("a\tb", ["a", "b"]),
        ('"a b" c', ["a b", "c"]),
        ('"a"b', ["ab"]),
        ('a"b c"d', ["ab cd"]),
        ('x "unterminated quote', ["x", "unterminated quote"]),
        ('\\"q\\"', ['"q"']),
        ("a\\\\b", ["a\\b"]),
        ("a\\ b", ["a b"]),
        ("\\x\\y", ["xy"]),
        ("trailing\\", ["trailing"]),
        ('"" ""', ["", ""]),
        ('VERBOSE ""', ["VERBOSE", ""]),
        ("GET DATA beep\r", ["GET", "DATA", "beep\r"]),
        ("", []),
        ("a\0b c", ["a"]),
    ],
)
def test_split_command_line_matches_parse_args(line: str, args: list[str]) -> None:
    assert split_command_line(line) == args


def test_split_command_line_truncates_at_max_args() -> None:
    words = [f"w{i}" for i in range(200)]
    assert split_command_line(" ".join(words)) == words[: MAX_ARGS - 1]
    quoted = " ".join(f'"{w}"' for w in words)
    assert split_command_line(quoted) == words[: MAX_ARGS - 1]


SAFE_TEXT = st.text(alphabet=st.characters(exclude_characters="\r\n\0", exclude_categories=("Cs",)))


@given(st.lists(SAFE_TEXT, max_size=6))
def test_quote_arg_round_trips_through_asterisk_parser(values: list[str]) -> None:
    line = format_command(Command("SET VARIABLE", tuple(values))).decode()
    assert split_command_line(line) == ["SET", "VARIABLE", *values]


@given(st.text(alphabet=st.sampled_from(" \t\"\\'(),=$ї{}x"), max_size=30))
def test_quote_arg_round_trips_special_characters(value: str) -> None:
    assert split_command_line("VERBOSE " + quote_arg(value) + " 1") == ["VERBOSE", value, "1"]


# --------------------------------------------------------------------------- parse_reply


@pytest.mark.parametrize(
    ("line", "result", "data", "endpos"),
    [
        ("200 result=0", "0", None, None),
        ("200 result=1 (value)", "1", "value", None),
        ("200 result= (timeout)", "", "timeout", None),
        ("200 result=", "", None, None),
        ("200 result=12 (timeout)", "12", "timeout", None),
        ("200 result=-1 (hangup) endpos=0", "-1", "hangup", 0),
        ("200 result=49 endpos=1234", "49", None, 1234),
        ("200 result=0 endpos=8000", "0", None, 8000),
        ("200 result=1 (a (b) c=d)", "1", "a (b) c=d", None),
        ("200 result=49 (dtmf) endpos=5600", "49", "dtmf", 5600),
        ("200 result=0 endpos=77 (timeout)", "0", "timeout", 77),
        ("200 result=1 ()", "1", "", None),
        ("200 result=0 Gosub complete", "0", None, None),
        ("200 result=1 (x)\r", "1", "x", None),
    ],
)
def test_parse_reply_variants(line: str, result: str, data: str | None, endpos: int | None) -> None:
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.endpos) == (200, result, data, endpos)
    assert reply.raw == line.rstrip("\r")


def test_reply_value_and_digit() -> None:
    assert parse_reply("200 result=49 endpos=1").digit == "1"
    assert parse_reply("200 result=35").digit == "#"
    assert parse_reply("200 result=0").digit is None
    assert parse_reply("200 result= (timeout)").value is None
    assert parse_reply("200 result=-1").value == -1


@pytest.mark.parametrize(
    "line", ["200", "200 foo=1", "510 Invalid", "result=1", "200 result=1 (open"]
)
def test_parse_reply_rejects_garbage(line: str) -> None:
    with pytest.raises(AgiProtocolError):
        parse_reply(line)


# --------------------------------------------------------------------------- ReplyReader


def feed_all(reader: ReplyReader, *lines: str) -> list[Reply | None]:
    return [reader.feed(line) for line in lines]


def test_reader_plain_reply() -> None:
    reader = ReplyReader()
    reply = reader.feed("200 result=1 (uk)\r")
    assert reply == Reply(200, "1", "uk", None, "200 result=1 (uk)")
    assert not reader.hangup_seen


def test_reader_hangup_line_then_real_reply() -> None:
    reader = ReplyReader()
    assert reader.feed("HANGUP") is None
    assert reader.hangup_seen
    reply = reader.feed("200 result=0 endpos=1600")
    assert reply is not None and reply.endpos == 1600


def test_reader_plain_minus_one_is_returned() -> None:
    reply = ReplyReader().feed("200 result=-1 endpos=0")
    assert reply is not None and reply.result == "-1" and reply.data is None


def test_reader_minus_one_hangup_raises() -> None:
    with pytest.raises(AgiHangup):
        ReplyReader().feed("200 result=-1 (hangup) endpos=0")


def test_reader_skips_100_trying() -> None:
    reader = ReplyReader()
    assert feed_all(reader, "100 result=0 Trying...") == [None]
    reply = reader.feed("200 result=0 Gosub complete")
    assert reply is not None and reply.result == "0"


def test_reader_511_is_hangup() -> None:
    with pytest.raises(AgiHangup, match="511"):
        ReplyReader().feed("511 Command Not Permitted on a dead channel or intercept routine")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("510 Invalid or unknown command", 510),
        ("503 result=-2 Memory allocation failure", 503),
        ("520 Invalid command syntax.  Proper usage not available.", 520),
    ],
)
def test_reader_command_errors(line: str, code: int) -> None:
    with pytest.raises(AgiCommandError) as info:
        ReplyReader().feed(line)
    assert info.value.code == code
    assert info.value.message == line[4:]
    assert info.value.usage == ""


def test_reader_multiline_520() -> None:
    reader = ReplyReader()
    assert feed_all(
        reader,
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: STREAM FILE <filename> <escape digits> [sample offset]",
        "  Send the given file.",
    ) == [None, None, None]
    with pytest.raises(AgiCommandError) as info:
        reader.feed("520 End of proper usage.")
    err = info.value
    assert err.code == 520
    assert err.message == "Invalid command syntax.  Proper usage follows:"
    assert err.usage == (
        " Usage: STREAM FILE <filename> <escape digits> [sample offset]\n  Send the given file."
    )
    # The reader is usable again afterwards.
    assert reader.feed("200 result=0") is not None


def test_reader_multiline_520_glued_end_marker() -> None:
    reader = ReplyReader()
    reader.feed("520-Invalid command syntax.  Proper usage follows:")
    reader.feed(" Usage: ANSWER")
    with pytest.raises(AgiCommandError) as info:
        reader.feed(" Answers channel if not already in answer state.520 End of proper usage.")
    assert info.value.usage == " Usage: ANSWER\n Answers channel if not already in answer state."


def test_reader_usage_without_end_is_bounded() -> None:
    reader = ReplyReader()
    reader.feed("520-Invalid command syntax.  Proper usage follows:")
    with pytest.raises(AgiProtocolError):
        for _ in range(10_000):
            reader.feed("more usage")


@pytest.mark.parametrize(
    "line", ["", "hello", "HANGUP now", "2000 result=1", "404 Not found", "200-x"]
)
def test_reader_garbage(line: str) -> None:
    with pytest.raises(AgiProtocolError):
        ReplyReader().feed(line)


def test_reader_reset_clears_hangup() -> None:
    reader = ReplyReader()
    reader.feed("HANGUP")
    reader.reset()
    assert not reader.hangup_seen


# --------------------------------------------------------------------------- CallState


def test_call_state_dead_safe_rules() -> None:
    state = CallState()
    state.before_send(Command("ANSWER"))
    reply = state.on_line(ReplyReader(), "200 result=-1 endpos=0")
    assert reply is not None and reply.result == "-1"  # ambiguous: returned, engine decides

    reader = ReplyReader()
    assert state.on_line(reader, "HANGUP") is None
    assert state.signalled and state.hung_up
    with pytest.raises(AgiHangup):
        state.on_line(reader, "200 result=-1 endpos=0")  # -1 after a signalled hangup
    with pytest.raises(AgiHangup):
        state.before_send(Command("STREAM FILE", ("x", "")))
    state.before_send(Command("SET VARIABLE", ("A", "1")))  # dead-safe: allowed
    state.closed = True
    with pytest.raises(AgiHangup):
        state.before_send(Command("VERBOSE", ("x",)))


# --------------------------------------------------------------------------- env


def test_decode_line() -> None:
    assert decode_line(b"agi_language: uk\r\n") == "agi_language: uk"
    assert decode_line(b"agi_language: uk\n") == "agi_language: uk"
    assert decode_line(b"no newline") == "no newline"
    assert decode_line("agi_calleridname: Іван\n".encode()) == "agi_calleridname: Іван"
    assert decode_line(b"agi_calleridname: \xff\xfe\n") == "agi_calleridname: \ufffd\ufffd"


def test_parse_env_fastagi_block() -> None:
    env = parse_env(
        [
            "agi_network: yes",
            "agi_network_script: ivr?x=y",
            "agi_request: agi://127.0.0.1/ivr?x=y",
            "agi_arg_1: ",
            "agi_arg_2: a: b",
            "garbage line",
            "",
            "after_block: ignored",
        ]
    )
    assert env == {
        "agi_network": "yes",
        "agi_network_script": "ivr?x=y",
        "agi_request": "agi://127.0.0.1/ivr?x=y",
        "agi_arg_1": "",
        "agi_arg_2": "a: b",
    }


def test_env_reader_counts_ignored_and_tolerates_missing_space() -> None:
    reader = EnvBlockReader()
    assert not reader.feed("agi_arg_1:")
    assert not reader.feed("no colon here")
    assert not reader.feed(": no key")
    assert not reader.feed("agi_x:y\r\n")
    assert reader.feed("")
    assert reader.done
    assert reader.env == {"agi_arg_1": "", "agi_x": "y"}
    assert reader.ignored == 2
    assert reader.lines == 4


def test_env_reader_truncated_block_keeps_what_was_read() -> None:
    reader = EnvBlockReader()
    reader.feed("agi_request: ivr")
    assert not reader.done
    assert reader.env == {"agi_request": "ivr"}


def test_env_reader_line_limit() -> None:
    reader = EnvBlockReader()
    for i in range(MAX_ENV_LINES):
        reader.feed(f"agi_arg_{i}: x")
    with pytest.raises(AgiProtocolError):
        reader.feed("one: too many")
