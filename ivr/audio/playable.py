"""The audio catalogue: what the audio build left on disk, as the engine asks about it.

It is read from the build manifest (``<sounds>/<language>/manifest.json``) and the files
beside it, apart from the configuration, so a rebuild can be picked up by a running server
without reloading the configuration. :class:`AudioCatalogue` implements the engine's
``ivr.flow.call.Audio`` protocol. Stdlib only: process AGI reads one per call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ivr.audio.manifest import MANIFEST_NAME, ManifestError, language_dir, read_manifest

#: ``(mtime_ns, size, inode)`` of the manifest and of its directory; None for a missing one.
FileStamp = tuple[int, int, int] | None


def _file_stamp(path: Path) -> FileStamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def audio_stamp(directory: Path) -> tuple[FileStamp, FileStamp]:
    """What changes when a build runs: the manifest (saved by rename) and its directory."""
    return (_file_stamp(directory / MANIFEST_NAME), _file_stamp(directory))


@dataclass(frozen=True)
class AudioCatalogue:
    """Prompt and speech-fragment ids with built audio for one language."""

    directory: Path  # <sounds>/<language>
    #: Ids whose WAV file the manifest lists and that exist; None when nothing was ever built
    #: here, which means "unknown: try to play everything" (a checkout without a build).
    ids: frozenset[str] | None
    #: Why the manifest could not be read (then ``ids`` is empty: nothing counts as playable).
    problem: str | None = None
    #: ``audio_stamp`` of the directory when it was read (None: never read from disk).
    stamp: tuple[FileStamp, FileStamp] | None = None

    @classmethod
    def read(cls, sounds_dir: Path, language: str) -> AudioCatalogue:
        """The catalogue as the build left it now."""
        directory = language_dir(sounds_dir, language)
        stamp = audio_stamp(directory)
        try:
            manifest = read_manifest(sounds_dir, language)
        except ManifestError as exc:
            return cls(directory, frozenset(), str(exc), stamp)
        return cls(directory, None if manifest is None else manifest.playable(), None, stamp)

    @property
    def language(self) -> str:
        return self.directory.name

    @property
    def built(self) -> bool:
        """Is there a readable manifest (something was built here)?"""
        return self.ids is not None and self.problem is None

    def playable(self, prompt_id: str) -> bool:
        """False only when the build shows the prompt has no audio (STREAM FILE would fail)."""
        return self.ids is None or prompt_id in self.ids

    def file_for(self, prompt_id: str) -> str:
        """The STREAM FILE argument for a prompt: absolute path, no extension."""
        return str(self.directory / prompt_id)

    def changed(self) -> bool:
        """Has a build run since this catalogue was read (two ``stat`` calls)?"""
        return self.stamp != audio_stamp(self.directory)

    def missing(self, ids: set[str] | frozenset[str]) -> list[str]:
        """Those of ``ids`` without built audio, sorted."""
        return sorted(i for i in ids if not self.playable(i))

    def build_problems(self, config_file: str) -> list[str]:
        """Problems of the build as a whole: none at all, unreadable, or speech fragments
        missing. Missing audio of single prompts is reported where each is referenced."""
        build = f"'ivr prompts build --config {config_file}'"
        if self.problem is not None:
            return [f"{self.problem}: run {build}"]
        if self.ids is None:
            return [
                f"no prompt audio has been built in {self.directory} (no {MANIFEST_NAME}): "
                f"run {build}"
            ]
        from ivr.speech.fragments import CatalogueError, catalogue

        try:
            fragments = catalogue(self.language)
        except CatalogueError:
            return []  # no dynamic speech for this language
        missing = self.missing(set(fragments))
        if not missing:
            return []
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return [
            f"{len(missing)} speech fragment(s) for numbers, times and dates have no built "
            f"audio ({shown}): run {build}"
        ]
