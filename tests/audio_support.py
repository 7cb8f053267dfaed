"""Shared by the audio and speech tests: espeak-ng availability and the shipped prompts, built.

espeak-ng tests may be skipped only on a developer machine without it; in CI (``CI`` set) they
must run, so a missing install step fails loudly instead of turning into skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from shipped import single_company

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEECH_MP3 = FIXTURES / "speech_uk_24k.mp3"
SPEECH_MP3_SECONDS = 1.848

HAVE_ESPEAK = shutil.which("espeak-ng") is not None
requires_espeak = pytest.mark.skipif(
    not HAVE_ESPEAK and not os.environ.get("CI"),
    reason="espeak-ng is not installed (apt-get install -y espeak-ng); CI always runs these",
)


def config_in(directory: Path, sounds: str = "prompts") -> Path:
    """The shipped config.yaml in ``directory``, reading the shipped prompt texts."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = single_company(text)
    text = text.replace("sounds: prompts ", f"sounds: {sounds} ")
    path = directory / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def built_prompts(tmp_path_factory) -> Path:
    """The shipped prompts and speech fragments, built once per session with espeak-ng.

    Returns the sounds directory (it holds ``uk/manifest.json`` and the audio). Copy it next to
    a config copy before running ``ivr serve`` or ``ivr agi``, which refuse to start without it.
    """
    if not HAVE_ESPEAK and not os.environ.get("CI"):
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng)")
    from ivr.audio.build import PromptBuilder
    from ivr.audio.catalogue import all_specs
    from ivr.audio.synth import make_engine
    from ivr.config import load_config

    directory = tmp_path_factory.mktemp("built")
    config = load_config(config_in(directory))
    report = PromptBuilder(config.prompts.sounds_dir, "uk", make_engine("espeak")).build(
        all_specs(config)
    )
    assert not report.failed, report.failed
    return config.prompts.sounds_dir
