"""The engine plays only what has audio, and says dynamic values fragment by fragment, seen
through the simulator's fake Asterisk over the AGI byte protocol."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

import pytest
from conftest import built_only, prompts_played

from ivr.agi.sync_session import PystAgi
from ivr.audio.playable import AudioCatalogue
from ivr.config import Config
from ivr.flow.call import CallContext
from ivr.flow.drive import drive_sync
from ivr.flow.engine import CallFlow
from ivr.simulator import FakeAsterisk, KeyScript, asterisk_env, parse_keys, prompt_describer
from ivr.speech import plan_appeal_number, plan_money, plan_time


def everything(config: Config) -> set[str]:
    from ivr.speech import catalogue

    return set(config.prompts.texts) | set(catalogue())


def test_no_manifest_means_audio_unknown_and_everything_is_tried(config):
    audio = AudioCatalogue.read(config.prompts.sounds_dir, config.prompts.language)
    assert audio.ids is None  # the shipped config is not built in the checkout
    assert audio.playable("welcome_dso") and audio.playable("anything")
    assert audio.file_for("welcome_dso") == config.prompts.file_for("welcome_dso")


def test_prompt_without_audio_is_skipped_not_streamed(config, simulate, caplog):
    first = config.menus[config.entry_menu].greeting[0]
    with caplog.at_level(logging.ERROR):
        transcript = simulate("0", audio=built_only(config, everything(config) - {first}))
    played = prompts_played(transcript)
    assert first not in played
    assert played[0] == config.menus[config.entry_menu].greeting[1]
    assert not any(e["type"] == "missing_prompt" for e in transcript.events)  # never sent
    assert transcript.variables["IVR_RESULT"] == "operator"  # the call goes on
    assert f"prompt {first!r} has no built audio; skipped" in caplog.text


def test_nothing_built_at_all_still_reaches_the_operator(config, simulate):
    transcript = simulate("", audio=built_only(config, set()))
    assert prompts_played(transcript) == []
    assert transcript.variables["IVR_RESULT"] == "operator"
    assert transcript.record is not None and transcript.record.outcome.value == "operator"


def say_over_agi(
    config: Config, plan, keys: str = "", escape: str = "", audio: AudioCatalogue | None = None
):
    """Run ``FlowContext.say`` in a call over a socket pair against the simulator's Asterisk."""
    ours, theirs = socket.socketpair()
    result: dict[str, object] = {}

    def ivr_side() -> None:
        rfile, wfile = ours.makefile("rb"), ours.makefile("wb")
        try:
            session = PystAgi(rfile, wfile, handle_sighup=False)
            call = CallContext.from_env(session.env, "simulator")
            flow = CallFlow(config, call, audio=audio)

            def call():
                yield from flow.ctx.say(plan, escape)
                result["digit"] = yield from flow.ctx.say(plan, escape)

            drive_sync(call(), session.send)
        finally:
            for f in (wfile, rfile):
                with contextlib.suppress(OSError):
                    f.close()
            ours.close()

    thread = threading.Thread(target=ivr_side, daemon=True)
    thread.start()
    fake = FakeAsterisk(
        theirs.makefile("rb"),
        theirs.makefile("wb"),
        asterisk_env("0441234567", "0800000373"),
        KeyScript(parse_keys(keys)),
        prompt_describer(config),
    )
    transcript = fake.run()
    theirs.close()
    thread.join(10)
    return transcript, result.get("digit")


@pytest.mark.parametrize(
    "plan",
    [
        plan_appeal_number("2611280700425"),
        plan_money("4,32", per_kwh=True),
        plan_time(18, 30, "until"),
    ],
    ids=["appeal", "tariff", "time"],
)
def test_transcript_shows_the_spoken_ukrainian_of_dynamic_values(config, plan):
    transcript, _ = say_over_agi(config, plan)
    prompts = [e for e in transcript.events if e["type"] == "prompt"]
    assert [e["id"] for e in prompts] == list(plan) * 2
    spoken = " ".join(e["text"] for e in prompts[: len(plan)]).replace(" …", ",")
    assert spoken == plan.text()
    assert not any(e["type"] == "missing_prompt" for e in transcript.events)


def test_a_key_interrupts_a_spoken_value(config):
    plan = plan_appeal_number("2611280700425")
    transcript, digit = say_over_agi(config, plan, keys="1", escape="1")
    prompts = [e for e in transcript.events if e["type"] == "prompt"]
    assert prompts[0]["interrupted_by"] == "1"
    assert len(prompts) == 1 + len(plan)  # the first plan stopped; the second played whole
    assert digit is None


def test_a_value_with_a_missing_fragment_is_not_said_at_all(config, caplog):
    plan = plan_appeal_number("2611280700425")
    audio = built_only(config, everything(config) - {"digits/7"})
    with caplog.at_level(logging.ERROR):
        transcript, _ = say_over_agi(config, plan, audio=audio)
    assert not [e for e in transcript.events if e["type"] == "prompt"]
    assert "speech fragments without built audio" in caplog.text
    assert CallFlow(config, CallContext.from_env({}, "x"), audio=audio).ctx.can_say(
        plan_time(18, 30)
    )
    assert not CallFlow(config, CallContext.from_env({}, "x"), audio=audio).ctx.can_say(plan)
