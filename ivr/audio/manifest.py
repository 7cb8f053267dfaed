"""The build manifest: what audio was built, from which text, engine and voice.

It lives at ``<sounds>/<language>/manifest.json`` next to the audio, so it always describes the
files beside it. The build reads it as its cache; the audio catalogue (:mod:`ivr.audio.playable`)
reads it to know which prompts can be played. Stdlib only: the engine's start-up stays light.

    {"format": 1, "language": "uk",
     "prompts": {"welcome_dso": {"text": "...", "engine": "espeak-ng", "voice": "uk",
                                 "speed": 1.0, "formats": ["wav"], "key": "<sha256>",
                                 "files": {"wav": "welcome_dso.wav"}, "duration_ms": 5230,
                                 "built_at": "2025-11-27T10:00:00+00:00"}}}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


@dataclass
class Manifest:
    directory: Path  # <sounds>/<language>
    language: str
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.directory / MANIFEST_NAME

    def files_present(self, prompt_id: str) -> bool:
        entry = self.prompts.get(prompt_id)
        if not entry or not entry.get("files"):
            return False
        return all((self.directory / name).is_file() for name in entry["files"].values())

    def playable(self) -> frozenset[str]:
        """Ids whose WAV file is listed and present on disk."""
        return frozenset(
            pid
            for pid, entry in self.prompts.items()
            if "wav" in entry.get("files", {})
            and (self.directory / entry["files"]["wav"]).is_file()
        )

    def save(self) -> None:
        """Write atomically: a reader never sees half a manifest."""
        data = {
            "format": MANIFEST_FORMAT,
            "language": self.language,
            "prompts": dict(sorted(self.prompts.items())),
        }
        tmp = self.path.with_name(f".{MANIFEST_NAME}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


class ManifestError(ValueError):
    pass


def language_dir(sounds_dir: Path, language: str) -> Path:
    return Path(sounds_dir) / language


def read_manifest(sounds_dir: Path, language: str) -> Manifest | None:
    """The manifest, or None when none was built. Raises ManifestError when it is unreadable."""
    directory = language_dir(sounds_dir, language)
    path = directory / MANIFEST_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path} is not valid JSON ({exc}); rebuild the prompts") from exc
    prompts = data.get("prompts") if isinstance(data, dict) else None
    if (
        not isinstance(prompts, dict)
        or data.get("format") != MANIFEST_FORMAT
        or not all(isinstance(v, dict) for v in prompts.values())
    ):
        raise ManifestError(
            f"{path} is not a prompt manifest of format {MANIFEST_FORMAT}; rebuild the prompts"
        )
    return Manifest(directory, language, prompts)
