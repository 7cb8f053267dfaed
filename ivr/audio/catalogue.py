"""What the build renders: the config's prompt texts (with their hints) and the speech fragments.

A prompt in ``prompts/uk.yaml`` is either ``id: text`` or, with hints for the voice,

    id:
      text: "..."
      voice: uk+f3   # the engine's voice (espeak-ng voice name; for gTTS the Google domain)
      speed: 0.9     # 0.5 .. 2.0; gTTS knows only normal and slow (< 0.8)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.speech.fragments import catalogue

if TYPE_CHECKING:
    from ivr.config.model import Config

HINT_KEYS = ("text", "voice", "speed")
VOICE_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,40}$")
SPEED_RANGE = (0.5, 2.0)


@dataclass(frozen=True)
class PromptSpec:
    id: str  # also the file name under <sounds>/<language>/ ("digits/5" -> digits/5.wav)
    text: str
    voice: str | None = None  # hint; the engine picks its default when None
    speed: float = 1.0
    silence_ms: int = 0  # > 0: not speech but a pause of this length


def read_hints(value: dict[str, Any]) -> tuple[Any, dict[str, Any], list[str]]:
    """Split ``{text, voice, speed}``: the text, the valid hints and the problems found."""
    hints: dict[str, Any] = {}
    problems = [
        f"unknown key '{key}': a prompt takes {', '.join(HINT_KEYS)}"
        for key in value
        if key not in HINT_KEYS
    ]
    if "text" not in value:
        problems.append("missing 'text'")
    voice = value.get("voice")
    if voice is not None:
        if isinstance(voice, str) and VOICE_RE.match(voice):
            hints["voice"] = voice
        else:
            problems.append(f"voice must be a voice name such as uk+f3, got {voice!r}")
    speed = value.get("speed")
    if speed is not None:
        low, high = SPEED_RANGE
        if isinstance(speed, int | float) and not isinstance(speed, bool) and low <= speed <= high:
            hints["speed"] = float(speed)
        else:
            problems.append(f"speed must be a number from {low} to {high}, got {speed!r}")
    return value.get("text"), hints, problems


def config_specs(config: Config) -> list[PromptSpec]:
    """Every prompt text of the config's texts file, with its hints."""
    prompts = config.prompts
    result = []
    for pid, text in prompts.texts.items():
        hints = prompts.hints.get(pid, {})
        voice, speed = hints.get("voice"), hints.get("speed", 1.0)
        result.append(
            PromptSpec(
                pid,
                text,
                voice if isinstance(voice, str) else None,
                float(speed) if isinstance(speed, int | float) else 1.0,
            )
        )
    return result


def fragment_specs(language: str) -> list[PromptSpec]:
    return [PromptSpec(f.id, f.text, silence_ms=f.silence_ms) for f in catalogue(language).values()]


def all_specs(config: Config) -> list[PromptSpec]:
    """What ``ivr prompts build`` renders for a config: its prompts, then the fragments."""
    return config_specs(config) + fragment_specs(config.prompts.language)
