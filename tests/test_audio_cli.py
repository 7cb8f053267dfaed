"""``ivr prompts build`` and the audio check of ``ivr validate``/``serve``/``agi``, as an admin
runs them: real processes on a copy of the shipped configuration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from audio_support import ROOT, requires_espeak

from ivr.config import load_config
from ivr.speech import catalogue

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def ivr(
    *args: str, cwd: Path, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ivr", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env=env or ENV,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def admin_dir(tmp_path: Path) -> Path:
    """config.yaml, its profile and its own prompts/uk.yaml, as an admin has them on a fresh
    machine."""
    (tmp_path / "prompts").mkdir()
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copy(ROOT / "prompts" / "uk.yaml", tmp_path / "prompts" / "uk.yaml")
    (tmp_path / "examples").mkdir()
    for name in ("directory.yaml", "supplier.yaml"):  # supplier.yaml: the config's profile
        shutil.copy(ROOT / "examples" / name, tmp_path / "examples" / name)
    return tmp_path


def summary(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


@requires_espeak
def test_build_every_prompt_then_skip_then_rebuild_exactly_one(admin_dir: Path):
    config = load_config(admin_dir / "config.yaml")
    total = len(config.prompts.texts) + len(catalogue())

    first = ivr("prompts", "build", "--engine", "espeak", cwd=admin_dir)
    assert first.returncode == 0, first.stderr
    assert summary(first).startswith(f"prompts: {total} built, 0 skipped (up to date), 0 failed")
    assert f"Building {total} prompts into {admin_dir / 'prompts' / 'uk'}" in first.stderr
    validated = ivr("validate", "config.yaml", cwd=admin_dir)
    assert validated.returncode == 0, validated.stderr

    second = ivr("prompts", "build", "--engine", "espeak", cwd=admin_dir)
    assert summary(second) == f"prompts: 0 built, {total} skipped (up to date), 0 failed"

    texts = admin_dir / "prompts" / "uk.yaml"
    old = 'goodbye: "Дякуємо за дзвінок! До побачення."'
    assert old in texts.read_text(encoding="utf-8")
    texts.write_text(
        texts.read_text(encoding="utf-8").replace(
            old, 'goodbye: "Дякуємо, що зателефонували! До побачення."'
        ),
        encoding="utf-8",
    )
    third = ivr("prompts", "build", "--engine", "espeak", cwd=admin_dir)
    assert summary(third).startswith(f"prompts: 1 built, {total - 1} skipped")
    manifest = json.loads((admin_dir / "prompts" / "uk" / "manifest.json").read_text())
    assert manifest["prompts"]["goodbye"]["text"].startswith("Дякуємо, що зателефонували")


def test_validate_serve_and_agi_need_built_audio(admin_dir: Path):
    result = ivr("validate", "config.yaml", cwd=admin_dir)
    assert result.returncode == 1
    lines = (admin_dir / "config.yaml").read_text(encoding="utf-8").splitlines()
    sounds = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("sounds:"))
    assert (
        f"config.yaml:{sounds}: prompts.sounds: no prompt audio has been built in" in result.stderr
    )
    assert "run 'ivr prompts build --config config.yaml'" in result.stderr

    assert ivr("validate", "--no-audio-check", "config.yaml", cwd=admin_dir).returncode == 0

    serve = ivr("serve", "--config", "config.yaml", "--listen", "127.0.0.1:0", cwd=admin_dir)
    assert serve.returncode == 1
    assert "refusing to run" in serve.stderr and "ivr prompts build" in serve.stderr
    agi = ivr("agi", "--config", "config.yaml", cwd=admin_dir)
    assert agi.returncode == 1 and "no prompt audio has been built" in agi.stderr

    simulated = ivr("simulate", "--config", "config.yaml", "--keys", "0", cwd=admin_dir)
    assert simulated.returncode == 0, simulated.stderr  # testers need no build


def test_validate_names_each_prompt_and_fragment_without_audio(
    admin_dir: Path, built_prompts: Path
):
    shutil.copytree(built_prompts / "uk", admin_dir / "prompts" / "uk")
    assert ivr("validate", "config.yaml", cwd=admin_dir).returncode == 0
    manifest_path = admin_dir / "prompts" / "uk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["prompts"]["goodbye"]
    manifest_path.write_text(json.dumps(manifest))
    (admin_dir / "prompts" / "uk" / "digits" / "7.wav").unlink()
    result = ivr("validate", "config.yaml", cwd=admin_dir)
    assert result.returncode == 1
    lines = (admin_dir / "config.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "farewell_prompt: goodbye" in text)
    assert (
        f"config.yaml:{line}: defaults.farewell_prompt: prompt 'goodbye' has no built audio"
    ) in result.stderr
    assert (
        "1 speech fragment(s) for numbers, times and dates have no built audio (digits/7)"
        in result.stderr
    )


def test_missing_engine_names_the_debian_package(admin_dir: Path, tmp_path: Path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    result = ivr(
        "prompts", "build", "--engine", "espeak", cwd=admin_dir, env={**ENV, "PATH": str(empty)}
    )
    assert result.returncode == 2
    assert "espeak-ng is not installed: install the Debian package 'espeak-ng'" in result.stderr
    assert "Traceback" not in result.stderr


def read_only_prefix(directory: Path) -> tuple[str, ...]:
    """Run a command with ``directory`` read-only, also for root (who ignores mode bits)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return ()
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to make a directory read-only for root")
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(directory), "true"], capture_output=True
    )
    if probe.returncode != 0 and not os.environ.get("CI"):
        pytest.skip(f"cannot mount read-only here: {probe.stderr.decode().strip()}")
    return ("unshare", "-m", "sh", "-c", script, str(directory))


@requires_espeak
def test_read_only_prompts_directory_is_a_clear_error(admin_dir: Path):
    prompts = admin_dir / "prompts"
    prefix = read_only_prefix(prompts)
    try:
        result = ivr("prompts", "build", "--engine", "espeak", cwd=admin_dir, prefix=prefix)
    finally:
        prompts.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"cannot write prompt audio to {prompts / 'uk'}" in result.stderr
    assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
    assert "Traceback" not in result.stderr


def test_prompt_texts_are_checked_by_validate(admin_dir: Path):
    texts = admin_dir / "prompts" / "uk.yaml"
    body = texts.read_text(encoding="utf-8")
    body = body.replace(
        'goodbye: "Дякуємо за дзвінок! До побачення."', 'goodbye: "Дякуємо за дзвінок! Bye 😀 24/7"'
    )
    body += (
        '\nhinted:\n  text: "Зачекайте"\n  voice: uk+f3\n  speed: 0.9\n'
        'bad_hint:\n  text: "Зачекайте"\n  speed: 9\n  pitch: 3\n'
    )
    texts.write_text(body, encoding="utf-8")
    result = ivr("validate", "--no-audio-check", "config.yaml", cwd=admin_dir)
    assert result.returncode == 1
    err = result.stderr
    line = next(i for i, t in enumerate(body.splitlines(), 1) if t.startswith("goodbye:"))
    assert f"uk.yaml:{line}: goodbye: digits 247: write numbers in words" in err
    assert "goodbye: Latin letters Bye" in err
    assert "goodbye: characters the voice cannot say: '😀' (grinning face), '/' (solidus)" in err
    assert "bad_hint: speed must be a number from 0.5 to 2.0, got 9" in err
    assert "bad_hint: unknown key 'pitch'" in err
    assert "hinted:" not in err


@requires_espeak
def test_hints_reach_the_build(admin_dir: Path):
    texts = admin_dir / "prompts" / "uk.yaml"
    texts.write_text(
        texts.read_text(encoding="utf-8")
        + '\nhinted:\n  text: "Зачекайте"\n  voice: uk+f3\n  speed: 0.9\n',
        encoding="utf-8",
    )
    result = ivr("prompts", "build", "--engine", "espeak", "--only", "hinted", cwd=admin_dir)
    assert result.returncode == 0, result.stderr
    assert summary(result).startswith("prompts: 1 built, 0 skipped")
    entry = json.loads((admin_dir / "prompts" / "uk" / "manifest.json").read_text())["prompts"][
        "hinted"
    ]
    assert (entry["voice"], entry["speed"]) == ("uk+f3", 0.9)
