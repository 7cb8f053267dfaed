"""What can go wrong while building prompt audio; every message is meant for the admin."""

from __future__ import annotations


class AudioError(Exception):
    """Base class of the audio build's errors."""


class TextError(AudioError):
    """The text cannot be said: empty, or with characters the voice cannot read."""


class EngineMissing(AudioError):
    """The TTS engine is not installed on this machine."""


class NetworkError(AudioError):
    """The online TTS service cannot be reached (no route, DNS, timeout). Try the fallback."""


class SynthesisError(AudioError):
    """The engine ran but gave no usable audio for this text."""


class DecodeError(AudioError):
    """The engine's audio cannot be decoded (corrupt or not audio at all)."""


class BuildError(AudioError):
    """The build cannot run at all, e.g. the prompts directory is not writable."""
