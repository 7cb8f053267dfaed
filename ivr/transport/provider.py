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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ivr.audio.playable import AudioCatalogue
from ivr.config.model import dialled_key
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
    """Everything a call needs, fixed for the whole call.

    A configuration with ``profiles`` makes one snapshot per company: this one (the main
    configuration's, which also takes the numbers nobody claims) holds the others in
    ``profiles``, so a reload swaps all of them in one assignment. They share the journal,
    the appeal-number sequence, the look-ups and, where their prompts are the same, the
    audio catalogue.
    """

    config: Config
    audio: AudioCatalogue
    effects: Mapping[type[Effect], Handler]
    journal: Journal
    #: the other companies' snapshots, by company id (empty in a profile's own snapshot)
    profiles: Mapping[str, Snapshot] = field(default_factory=dict)
    #: every company's dialled numbers (``dialled_key`` form) -> its company id, when there
    #: are profiles: what a call looks its company up in
    numbers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Config, audio: AudioCatalogue | None = None) -> Snapshot:
        """The snapshot of a loaded ``config``; its audio catalogue read now unless given."""
        audio = audio or AudioCatalogue.read(config.prompts.sounds_dir, config.prompts.language)
        shared: dict[str, Any] = {}  # the main config's services, made first: every company's
        effects = call_effect_handlers(config, shared)
        journal = Journal(config.journal_path)
        catalogues = {(audio.directory.parent, audio.language): audio}
        profiles = {}
        for company_id, profile in config.profiles.items():
            prompts = profile.prompts
            place = (prompts.sounds_dir, prompts.language)
            if place not in catalogues:
                catalogues[place] = AudioCatalogue.read(*place)
            profiles[company_id] = cls(
                profile, catalogues[place], call_effect_handlers(profile, shared), journal
            )
        numbers = {
            dialled_key(number): company.company.id
            for company in (config.companies if profiles else ())
            for number in company.company.dialled_numbers
        }
        return cls(config, audio, effects, journal, profiles, numbers)

    @property
    def companies(self) -> tuple[Snapshot, ...]:
        """This snapshot and its profiles'."""
        return (self, *self.profiles.values())

    def for_dialled(self, number: str) -> Snapshot:
        """The snapshot of the company whose number a caller dialled; a number no company
        claims gets this one, with a warning (once per number and process)."""
        if not self.profiles:
            return self
        company_id = self.numbers.get(dialled_key(number))
        if company_id is None:
            if number not in _unknown_numbers and len(_unknown_numbers) < UNKNOWN_NUMBERS_LOGGED:
                _unknown_numbers.add(number)
                log.warning(
                    "a call to %s, a number no company of %s lists in "
                    "company.dialled_numbers: answered as %s (the main config's company; "
                    "logged once per number)",
                    number,
                    self.config.source.name,
                    self.config.company.id,
                )
            return self
        return self.profiles.get(company_id, self)

    def with_audio(self, fresh: Mapping[Path, AudioCatalogue]) -> Snapshot:
        """This snapshot with the catalogues in ``fresh`` (by directory) replacing the ones
        read from the same directory, in its profiles too."""
        return dataclasses.replace(
            self,
            audio=fresh.get(self.audio.directory, self.audio),
            profiles={k: p.with_audio(fresh) for k, p in self.profiles.items()},
        )


#: How many distinct unknown dialled numbers one process warns about.
UNKNOWN_NUMBERS_LOGGED = 1000
_unknown_numbers: set[str] = set()


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
        """Swap in a snapshot with the audio as built now, if a build changed since the
        current catalogues were read (two ``stat`` calls per catalogue when none did). True
        if swapped; every company's catalogue is looked at.

        A manifest that is gone or unreadable (a build broken off) keeps the catalogue in
        use, logged once per change; prompts that lost their audio are named in the log.
        """
        reports: list[tuple[AudioCatalogue, Config]] = []
        with self._swap:
            current = self._current
            fresh: dict[Path, AudioCatalogue] = {}
            for company in current.companies:
                old = company.audio
                if old.directory in fresh or not old.changed():
                    continue
                audio = AudioCatalogue.read(old.directory.parent, old.language)
                if not audio.built:
                    why = audio.problem or "its manifest is gone"
                    log.error(
                        "audio build in %s changed and %s; calls keep the audio they had "
                        "(run 'ivr prompts build')",
                        audio.directory,
                        why,
                    )
                    audio = dataclasses.replace(old, stamp=audio.stamp)
                else:
                    reports.append((audio, company.config))
                fresh[old.directory] = audio
            if not fresh:
                return False
            self._current = current.with_audio(fresh)
        for audio, config in reports:
            self._report_audio(audio, config)
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
