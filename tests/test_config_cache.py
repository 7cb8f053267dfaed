"""The compiled-configuration cache and the lean process-AGI path (issue 5, item 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from audio_support import config_in
from conftest import ROOT

from ivr.config import ConfigError
from ivr.config import cache as config_cache


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return config_in(tmp_path)


def test_second_load_comes_from_the_cache(config_file: Path, monkeypatch):
    first = config_cache.load_config_cached(config_file)
    assert config_cache.cache_path(config_file).exists()
    import ivr.config.loader as loader

    monkeypatch.setattr(loader, "load_config", lambda *a: pytest.fail("not cached"))
    second = config_cache.load_config_cached(config_file)
    assert second == first
    assert second is not first


def test_a_changed_file_is_loaded_again_and_an_invalid_one_refused(config_file: Path):
    config_cache.load_config_cached(config_file)
    time.sleep(0.01)
    config_file.write_text(
        config_file.read_text(encoding="utf-8").replace("entry_menu: main", "entry_menu: mian"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="unknown menu 'mian'"):
        config_cache.load_config_cached(config_file)


def test_a_changed_prompt_texts_file_invalidates(tmp_path: Path):
    texts = tmp_path / "uk.yaml"
    texts.write_text((ROOT / "prompts" / "uk.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    config_file = config_in(tmp_path)
    config_file.write_text(
        config_file.read_text(encoding="utf-8").replace(
            str(ROOT / "prompts" / "uk.yaml"), str(texts)
        ),
        encoding="utf-8",
    )
    before = config_cache.load_config_cached(config_file)
    first_id = next(iter(before.prompts.texts))
    text = texts.read_text(encoding="utf-8")
    texts.write_text(
        text.replace(before.prompts.texts[first_id].split()[0], "Змінено", 1), encoding="utf-8"
    )
    after = config_cache.load_config_cached(config_file)
    assert after.prompts.texts[first_id] != before.prompts.texts[first_id]


def test_the_cached_audio_catalogue_follows_the_build(config_copy: Path):
    import json

    config, audio = config_cache.load_cached(config_copy)
    assert audio.built and "goodbye" in audio.ids
    assert config_cache.load_cached(config_copy)[1] == audio  # from the cache
    manifest = audio.directory / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    del data["prompts"]["goodbye"]
    manifest.write_text(json.dumps(data), encoding="utf-8")  # a build that dropped it
    again, rebuilt = config_cache.load_cached(config_copy)
    assert again == config and not rebuilt.playable("goodbye")


def test_an_untrusted_cache_file_is_ignored(config_file: Path, monkeypatch):
    config_cache.load_config_cached(config_file)
    path = config_cache.cache_path(config_file)
    os.chmod(path, 0o666)  # writable by others: somebody could have planted it
    assert config_cache.read_cache(config_file, False) is None
    path.write_bytes(b"not a pickle")
    os.chmod(path, 0o600)
    assert config_cache.read_cache(config_file, False) is None
    assert config_cache.load_config_cached(config_file).entry_menu == "main"  # rebuilt


def test_cache_dir_from_the_environment(config_file: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("IVR_CACHE_DIR", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    config_cache.load_config_cached(config_file)
    assert (tmp_path / "elsewhere" / f".{config_file.name}.ivr-cache").exists()


def python_says(code: str) -> str:
    """What a fresh interpreter running ``code`` prints."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_process_agi_hot_path_imports_no_orm_yaml_or_click():
    code = (
        "import sys, ivr.transport.process_agi, ivr.transport.provider, ivr.transport.runner, "
        "ivr.config.cache, ivr.flow.engine, ivr.store.journal, ivr.store.appeals, "
        "ivr.store.recorder, ivr.agi.sync_session; heavy = {'sqlalchemy', 'yaml', 'click', "
        "'asyncio', 'alembic'} & set(sys.modules); print(sorted(heavy))"
    )
    assert python_says(code) == "[]"


def test_nothing_of_the_configuration_is_imported_before_the_answer():
    """``ivr agi --config X`` reaches ``run`` (which answers first) without ``ivr.config``."""
    code = (
        "import sys; from ivr.transport import process_agi as p; "
        "p.run = lambda path: print(sorted(m for m in sys.modules if m.startswith('ivr.'))); "
        "p.main_from_cli(['--config', 'x.yaml'])"
    )
    assert python_says(code) == "['ivr.transport', 'ivr.transport.process_agi']"


def test_process_agi_refuses_an_invalid_config_after_answering(config_file: Path):
    """``ANSWER`` goes out before the configuration is loaded; an invalid one then ends the
    script with status 1 (AGISTATUS=FAILURE: the dialplan's fallback queue takes the call)."""
    from ivr.simulator import asterisk_env, env_block

    config_file.write_text("company: [\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "ivr", "agi", "--config", str(config_file)],
        input=env_block(asterisk_env("0441234567", "0800000373")) + b"200 result=0\n",
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1
    assert proc.stdout == b"ANSWER\n"
    assert b"refusing to run with an invalid configuration" in proc.stderr
    assert str(config_file).encode() in proc.stderr
