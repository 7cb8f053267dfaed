"""The build pipeline with the real offline engine: cache, manifest, bad input."""

from __future__ import annotations

import json
import wave

import pytest
from audio_support import requires_espeak

from ivr.audio.build import PromptBuilder
from ivr.audio.catalogue import PromptSpec
from ivr.audio.errors import BuildError, EngineMissing
from ivr.audio.espeak import EspeakEngine
from ivr.audio.manifest import read_manifest
from ivr.audio.playable import AudioCatalogue
from ivr.audio.synth import make_engine

pytestmark = requires_espeak

SPECS = [
    PromptSpec("goodbye", "Дякуємо за дзвінок! До побачення."),
    PromptSpec("no_input", "Ви нічого не обрали."),
    PromptSpec("digits/5", "п'ять"),
    PromptSpec("slow_female", "Зачекайте, будь ласка.", voice="uk+f3", speed=0.8),
    PromptSpec("pause/group", "", silence_ms=300),
]


def build(tmp_path, specs=SPECS, only=None, **options):
    builder = PromptBuilder(tmp_path, "uk", make_engine("espeak"), **options)
    return builder.build(specs, only=only)


def wav_info(path) -> tuple[int, int, int, float]:
    with wave.open(str(path)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes() / 8000


def test_builds_every_prompt_as_8_khz_wav_with_a_manifest(tmp_path):
    report = build(tmp_path)
    assert report.built == [s.id for s in SPECS] and not report.failed
    for spec in SPECS:
        channels, width, rate, seconds = wav_info(tmp_path / "uk" / f"{spec.id}.wav")
        assert (channels, width, rate) == (1, 2, 8000)
        assert 0.1 < seconds < 5
    assert wav_info(tmp_path / "uk" / "pause" / "group.wav")[3] == pytest.approx(0.3)
    manifest = read_manifest(tmp_path, "uk")
    entry = manifest.prompts["slow_female"]
    assert (entry["text"], entry["engine"], entry["voice"], entry["speed"]) == (
        "Зачекайте, будь ласка.",
        "espeak-ng",
        "uk+f3",
        0.8,
    )
    assert manifest.prompts["goodbye"]["voice"] == "uk"
    assert AudioCatalogue.read(tmp_path, "uk").ids == {s.id for s in SPECS}


def test_second_run_skips_and_one_changed_text_rebuilds_exactly_one(tmp_path):
    build(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "uk").rglob("*.wav")}
    again = build(tmp_path)
    assert again.built == [] and again.skipped == [s.id for s in SPECS]
    changed = [*SPECS]
    changed[1] = PromptSpec("no_input", "Ви нічого не обрали. Спробуйте ще раз.")
    third = build(tmp_path, changed)
    assert third.built == ["no_input"]
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "uk").rglob("*.wav")}
    assert [p.name for p in after if after[p] != before[p]] == ["no_input.wav"]
    assert read_manifest(tmp_path, "uk").prompts["no_input"]["text"].endswith("ще раз.")


def test_voice_speed_and_format_are_part_of_the_cache_key(tmp_path):
    build(tmp_path)
    changed = [PromptSpec("goodbye", SPECS[0].text, voice="uk+f3"), *SPECS[1:]]
    assert build(tmp_path, changed).built == ["goodbye"]
    assert build(tmp_path, changed, formats=("wav", "sln16")).built == [s.id for s in SPECS]
    raw = (tmp_path / "uk" / "goodbye.sln16").read_bytes()
    assert raw[:4] != b"RIFF" and len(raw) > 3200


def test_only_and_force(tmp_path):
    assert build(tmp_path, only=["goodbye"]).built == ["goodbye"]
    assert not (tmp_path / "uk" / "no_input.wav").exists()
    assert build(tmp_path).built == [s.id for s in SPECS[1:]]
    assert build(tmp_path, force=True, only=["no_input"]).built == ["no_input"]
    with pytest.raises(BuildError, match="unknown prompt id.*nonsense"):
        build(tmp_path, only=["nonsense"])


def test_a_prompt_removed_from_the_texts_is_removed(tmp_path):
    build(tmp_path)
    report = build(tmp_path, SPECS[1:])
    assert report.removed == ["goodbye"]
    assert not (tmp_path / "uk" / "goodbye.wav").exists()
    assert "goodbye" not in read_manifest(tmp_path, "uk").prompts


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty text"),
        ("   \t ", "empty text"),
        ("Тариф 4,32 грн", "digits 432: write numbers in words"),
        ("Натисніть OK", "Latin letters OK"),
        ("Привіт 😀", "cannot say: '😀' (grinning face)"),
        ("Это ошибка", "letters Э are not Ukrainian"),
    ],
)
def test_texts_the_voice_cannot_say_fail_that_prompt(tmp_path, text, message):
    report = build(tmp_path, [PromptSpec("bad", text), SPECS[0]])
    assert report.built == ["goodbye"]
    assert [f.id for f in report.failed] == ["bad"]
    assert message in report.failed[0].message
    assert "bad" not in read_manifest(tmp_path, "uk").prompts


def test_unknown_voice_fails_that_prompt(tmp_path):
    report = build(tmp_path, [PromptSpec("x", "Привіт", voice="zz-nonexistent")])
    assert "espeak-ng" in report.failed[0].message


def test_missing_engine_names_the_debian_package():
    with pytest.raises(EngineMissing, match=r"apt-get install -y espeak-ng"):
        EspeakEngine(binary="espeak-ng-not-installed")


def test_corrupt_manifest_is_replaced(tmp_path):
    build(tmp_path)
    (tmp_path / "uk" / "manifest.json").write_text("{not json", encoding="utf-8")
    assert AudioCatalogue.read(tmp_path, "uk").ids == frozenset()  # unreadable: nothing is playable
    report = build(tmp_path)
    assert "not valid JSON" in report.notices[0]
    assert report.built == [s.id for s in SPECS]
    assert json.loads((tmp_path / "uk" / "manifest.json").read_text())["format"] == 1


def test_deleted_audio_file_is_rebuilt(tmp_path):
    build(tmp_path)
    (tmp_path / "uk" / "digits" / "5.wav").unlink()
    assert "digits/5" not in AudioCatalogue.read(tmp_path, "uk").ids
    assert build(tmp_path).built == ["digits/5"]
