"""The configuration provider: what a call needs, loaded and validated once, swapped whole.

A :class:`Snapshot` is immutable: the validated ``Config``, the audio catalogue (what the audio
build left on disk), the effect handlers bound to this configuration (the appeal-number
allocator) and the journal. A call takes the current snapshot when it starts and keeps it to
its end. A reload (SIGHUP) or a changed audio build makes a new snapshot, which replaces the
current one in a single assignment; an invalid file changes nothing.

:func:`load` is the one way a configuration file is loaded, by every command. Stdlib only at
import (process AGI loads through it on every call): no asyncio, no YAML, no SQLAlchemy.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ivr.audio.playable import AudioCatalogue
from ivr.flow.effects import Effect, Handler
from ivr.store.journal import Journal
from ivr.transport.services import call_effect_handlers

if TYPE_CHECKING:
    from ivr.config.model import Config

log = logging.getLogger(__name__)

#: Seconds between two looks at the audio build (two ``stat`` calls) as calls start.
AUDIO_CHECK_EVERY = 1.0


@dataclass(frozen=True)
class Snapshot:
    """Everything a call needs, fixed for the whole call."""

    config: Config
    audio: AudioCatalogue
    effects: Mapping[type[Effect], Handler]
    journal: Journal

    @classmethod
    def of(cls, config: Config, audio: AudioCatalogue | None = None) -> Snapshot:
        """The snapshot of a loaded ``config``; its audio catalogue read now unless given."""
        prompts = config.prompts
        return cls(
            config,
            audio or AudioCatalogue.read(prompts.sounds_dir, prompts.language),
            call_effect_handlers(config),
            Journal(config.journal_path),
        )


def load(path: str | Path, *, for_calls: bool, cached: bool = False) -> Snapshot:
    """Load and validate a configuration file; ConfigError lists every problem.

    One rule decides whether the prompt audio must be built (every prompt the menus use and
    every speech fragment, checked against the build manifest):

    * ``for_calls=True``: ``ivr serve`` (at start and on every SIGHUP) and ``ivr agi``. They
      answer real callers, and a prompt without audio would be silence where a menu should
      be, so a configuration without its audio is refused like an invalid one.
    * ``for_calls=False``: ``ivr simulate`` (its transcript shows the texts; it runs in a
      checkout without a build), ``ivr db`` and ``ivr report`` (they play nothing) and
      ``ivr prompts build`` (it makes the audio).

    ``ivr validate`` applies the rule of calls (it answers "is this ready to serve?";
    ``--no-audio-check`` while editing) through ``ivr.config.loader.check_file``, which lists
    the problems instead of refusing.

    ``cached``: process AGI, a process per call: the validated ``Config`` and the audio
    catalogue come from the compiled cache (``ivr.config.cache``), which checks the catalogue
    against the build on every call.
    """
    if cached:
        from ivr.config.cache import load_cached

        return Snapshot.of(*load_cached(path, for_calls))
    from ivr.config.loader import load_config

    return Snapshot.of(load_config(path, for_calls))


class TopicCatalogue(Protocol):
    """Where the topic catalogue of each configuration is recorded (the repository)."""

    def sync_config_topics(self, config: Any) -> int: ...


class ConfigProvider:
    """The current snapshot of one configuration file, reloaded on request and following the
    audio build.

    Reading ``current`` never blocks. ``reload`` and ``refresh_audio`` read files (``reload``
    also writes the topic catalogue to the database): an asyncio server runs them in a worker
    thread. Each builds its new snapshot and swaps it in under a lock, so a reload and an audio
    refresh running at once never undo each other.
    """

    def __init__(
        self,
        snapshot: Snapshot,
        path: str | Path | None = None,
        topics: TopicCatalogue | None = None,
        audio_every: float = AUDIO_CHECK_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._current = snapshot
        self.path = path  # None: nothing to reload from
        self.topics = topics
        self.audio_every = audio_every
        self.clock = clock
        self._next_audio_check = clock() + audio_every
        self._swap = threading.Lock()

    @property
    def current(self) -> Snapshot:
        return self._current

    def reload(self, prepare: Callable[[Snapshot], object] | None = None) -> Snapshot:
        """Load the file again under the rule of calls and make it current.

        The new topic labels are recorded first, then ``prepare`` gets the new snapshot (the
        transport readies what it needs for it, such as a recorder for another journal), then
        it is swapped in. Raises ConfigError or OSError, and then nothing changed.
        """
        if self.path is None:
            raise OSError("no configuration file to reload from")
        new = load(self.path, for_calls=True)
        old = self._current
        if new.config.database_url != old.config.database_url:
            log.warning("config reload: database.url changed; it takes effect on restart only")
        self._record_topics(new.config)
        if prepare is not None:
            prepare(new)
        with self._swap:
            self._current = new
        return new

    def _record_topics(self, config: Config) -> None:
        if self.topics is None:
            return
        try:
            self.topics.sync_config_topics(config)
        except Exception as exc:  # calls go on; the labels are recorded at the next start
            log.warning("config reload: topic catalogue not recorded: %s", exc)

    def audio_check_due(self) -> bool:
        """Is it time to look at the audio build again (at most every ``audio_every``
        seconds)? Counts the look as done; no I/O, so the event loop may ask."""
        now = self.clock()
        if now < self._next_audio_check:
            return False
        self._next_audio_check = now + self.audio_every
        return True

    def refresh_audio(self) -> bool:
        """Swap in a snapshot with the audio as built now, if the build changed since the
        current catalogue was read (two ``stat`` calls when it did not). True if swapped.

        A manifest that is gone or unreadable (a build broken off) keeps the catalogue in
        use, logged once per change; prompts that lost their audio are named in the log.
        """
        with self._swap:
            current = self._current
            if not current.audio.changed():
                return False
            audio = AudioCatalogue.read(current.audio.directory.parent, current.audio.language)
            if not audio.built:
                why = audio.problem or "its manifest is gone"
                log.error(
                    "audio build in %s changed and %s; calls keep the audio they had "
                    "(run 'ivr prompts build')",
                    audio.directory,
                    why,
                )
                audio = dataclasses.replace(current.audio, stamp=audio.stamp)
            self._current = dataclasses.replace(current, audio=audio)
        if audio.built:
            self._report_audio(audio, current.config)
        return True

    @staticmethod
    def _report_audio(audio: AudioCatalogue, config: Config) -> None:
        log.info(
            "audio build in %s changed: %d prompts and fragments playable; new calls use it",
            audio.directory,
            len(audio.ids or ()),
        )
        missing = audio.missing(frozenset(config.prompts.texts))
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            log.warning(
                "%d prompt(s) have no built audio now (%s); calls skip them", len(missing), shown
            )
