"""espeak-ng, the offline engine: robotic but intelligible, needs no network (CI uses it)."""

from __future__ import annotations

import shutil
import subprocess

from ivr.audio.errors import EngineMissing, SynthesisError

BINARY = "espeak-ng"
DEBIAN_PACKAGE = "espeak-ng"
DEFAULT_VOICE = "uk"
WORDS_PER_MINUTE = 165
TIMEOUT_S = 30


class EspeakEngine:
    name = "espeak-ng"

    def __init__(self, binary: str = BINARY) -> None:
        path = shutil.which(binary)
        if path is None:
            raise EngineMissing(
                f"{binary} is not installed: install the Debian package '{DEBIAN_PACKAGE}' "
                f"(apt-get install -y {DEBIAN_PACKAGE}), or use --engine gtts"
            )
        self.binary = path

    @staticmethod
    def voice(hint: str | None) -> str:
        return hint or DEFAULT_VOICE

    def synthesize(self, text: str, voice: str, speed: float) -> bytes:
        """22050 Hz mono WAV bytes. The text goes in on stdin, so it is never an option."""
        rate = max(80, min(450, round(WORDS_PER_MINUTE * speed)))
        command = [self.binary, "-v", voice, "-s", str(rate), "-b", "1", "--stdout"]
        try:
            done = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SynthesisError(f"{BINARY} did not finish within {TIMEOUT_S} s") from None
        except OSError as exc:
            raise EngineMissing(f"cannot run {self.binary}: {exc}") from exc
        error = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0 or not done.stdout:
            raise SynthesisError(f"{BINARY} failed (exit {done.returncode}): {error or 'no audio'}")
        if error:  # e.g. an unknown voice: espeak-ng says so and falls back to a default voice
            raise SynthesisError(f"{BINARY} -v {voice}: {error}")
        return done.stdout
