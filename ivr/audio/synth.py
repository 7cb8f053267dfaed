"""The synthesizer interface and the engine registry.

An engine turns one text into encoded audio (MP3 from gTTS, WAV from espeak-ng); conversion to
Asterisk's formats happens in :mod:`ivr.audio.convert`. ``voice`` is the engine's own voice name
(``uk``, ``uk+f3``); ``speed`` is a multiplier (1.0 = normal).
"""

from __future__ import annotations

from typing import Protocol

ENGINES = ("gtts", "espeak")
DEFAULT_ENGINE = "gtts"
FALLBACK_ENGINE = "espeak"


class Synthesizer(Protocol):
    name: str  # recorded in the manifest and the cache key

    def voice(self, hint: str | None) -> str:
        """The voice this engine uses for a prompt with voice hint ``hint``."""
        ...

    def synthesize(self, text: str, voice: str, speed: float) -> bytes:
        """Encoded audio (MP3 or WAV bytes) saying ``text``."""
        ...


def engine_voice(engine: str, hint: str | None) -> str | None:
    """The voice the engine recorded in the manifest as ``engine`` uses for a prompt with
    voice hint ``hint`` (what its ``voice`` says); None for an engine not known here."""
    if engine == "gtts":
        from ivr.audio.gtts_engine import GttsEngine

        return GttsEngine.voice(hint)
    if engine == "espeak-ng":
        from ivr.audio.espeak import EspeakEngine

        return EspeakEngine.voice(hint)
    return None


def make_engine(name: str) -> Synthesizer:
    """A ready engine; raises :class:`~ivr.audio.errors.EngineMissing` if not installed."""
    if name == "gtts":
        from ivr.audio.gtts_engine import GttsEngine

        return GttsEngine()
    if name == "espeak":
        from ivr.audio.espeak import EspeakEngine

        return EspeakEngine()
    raise ValueError(f"unknown engine '{name}': use one of {', '.join(ENGINES)}")
