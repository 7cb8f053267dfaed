"""The configuration provider and the audio catalogue: snapshots a call keeps, reloads that
change the journal, and audio built while the FastAGI server runs, over real AGI sockets."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import prompts_played
from serve_process import ENV
from test_faults import Caller, Server, network_env, tcp_call

from ivr.audio.playable import AudioCatalogue
from ivr.config import Config, ConfigError
from ivr.store.recorder import CallRecorder
from ivr.transport.provider import ConfigProvider, load


@pytest.fixture
def served_file(config_copy: Path, config: Config) -> Path:
    """The config copy with built audio, on the ``repository`` fixture's database."""
    text = config_copy.read_text(encoding="utf-8")
    config_copy.write_text(
        text.replace("url: sqlite:///ivr.sqlite3", f"url: {config.database_url}"),
        encoding="utf-8",
    )
    return config_copy


def unbuild(config: Config, prompt_id: str) -> None:
    """Take one prompt out of the build, as if it had never been built."""
    directory = config.prompts.sounds_dir / config.prompts.language
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["prompts"].pop(prompt_id)
    (directory / entry["files"]["wav"]).unlink()
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_running_server_plays_audio_built_after_it_started(served_file, repository):
    snapshot = load(served_file, for_calls=False)
    first = snapshot.config.menus[snapshot.config.entry_menu].greeting[0]
    unbuild(snapshot.config, first)
    provider = ConfigProvider(load(served_file, for_calls=False), audio_every=0.0)
    assert not provider.current.audio.playable(first)
    running = Server(snapshot.config, CallRecorder(repository), provider=provider)
    try:
        before = tcp_call(running.address, snapshot.config, "h")
        assert first not in prompts_played(before)
        subprocess.run(
            [sys.executable, "-m", "ivr", "prompts", "build", "--config", str(served_file)]
            + ["--engine", "espeak", "--only", first],
            check=True,
            env=ENV,
            capture_output=True,
            timeout=120,
        )
        after = tcp_call(running.address, snapshot.config, "h")
        assert prompts_played(after)[0] == first  # no reload, no restart
    finally:
        running.stop()


def test_the_audio_build_is_looked_at_once_a_second_at_most(served_file):
    now = [100.0]
    provider = ConfigProvider(load(served_file, for_calls=False), clock=lambda: now[0])
    assert not provider.audio_check_due()
    now[0] += 1.0
    assert provider.audio_check_due()
    assert not provider.audio_check_due()  # counted: the next look is a second away
    assert not provider.refresh_audio()  # nothing was built since


def test_a_broken_build_keeps_the_audio_in_use(served_file, caplog):
    provider = ConfigProvider(load(served_file, for_calls=False))
    before = provider.current.audio
    manifest = before.directory / "manifest.json"
    manifest.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert provider.refresh_audio()
    assert provider.current.audio.ids == before.ids
    assert "calls keep the audio they had" in caplog.text
    assert not provider.refresh_audio()  # said once, not at every call


def test_reload_reads_the_audio_and_refuses_an_invalid_file(served_file):
    provider = ConfigProvider(load(served_file, for_calls=True), served_file)
    config = provider.current.config
    first = config.menus[config.entry_menu].greeting[0]
    unbuild(config, first)
    with pytest.raises(ConfigError, match=f"prompt '{first}' has no built audio"):
        provider.reload()  # the rule of calls: every prompt the menus use is built
    assert provider.current.audio.playable(first)  # nothing changed
    served_file.write_text("company: [\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        provider.reload()
    assert provider.current.config is config


def test_a_reload_that_names_another_journal_moves_new_calls_to_it(served_file, repository, caplog):
    provider = ConfigProvider(load(served_file, for_calls=True), served_file, repository)
    old_journal = provider.current.journal.path
    config = provider.current.config
    recorder = CallRecorder(repository, provider.current.journal, retry_after=0.1)
    running = Server(config, recorder, provider=provider, replay_every=0.2)
    try:
        old_call = Caller(running.address, network_env(config, "0441111111"))
        old_call.answer_until("WAIT FOR DIGIT")
        text = served_file.read_text(encoding="utf-8")
        served_file.write_text(
            text.replace("journal: ivr-journal.jsonl", "journal: other-journal.jsonl"),
            encoding="utf-8",
        )
        with caplog.at_level(logging.WARNING):
            assert running.call(running.server.reload())
        assert "database.journal changed from" in caplog.text
        new_journal = served_file.parent / "other-journal.jsonl"
        assert provider.current.journal.path == new_journal
        new_call = Caller(running.address, network_env(config, "0442222222"))
        new_call.answer_until("WAIT FOR DIGIT")

        def journalled(path: Path, call: Caller) -> bool:
            return path.exists() and call.env["agi_uniqueid"] in path.read_text("utf-8")

        wait_until(lambda: journalled(new_journal, new_call))  # its start: the new journal
        assert journalled(old_journal, old_call) and not journalled(old_journal, new_call)
        for call in (old_call, new_call):
            call.reply("200 result=0")
            call.finish()
            call.close()
        running.wait_idle()
        for call in (old_call, new_call):  # both recorded; both journals replayed empty
            wait_until(lambda c=call: repository.find_by_unique_id(c.env["agi_uniqueid"]))
        wait_until(lambda: old_journal.stat().st_size == 0 == new_journal.stat().st_size)
    finally:
        running.stop()


def test_the_catalogue_is_the_engines_audio(served_file):
    snapshot = load(served_file, for_calls=True)
    audio = snapshot.audio
    assert isinstance(audio, AudioCatalogue) and audio.built
    prompts = snapshot.config.prompts
    assert audio.file_for("goodbye") == str(prompts.sounds_dir / prompts.language / "goodbye")
    assert audio.playable("goodbye") and not audio.playable("never_built")
