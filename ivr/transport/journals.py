"""The FastAGI server's call recorders, one per journal.

A reload whose ``database.journal`` names another file gets a recorder of its own, on the
same database, for the calls that start after it: their starts and any record the database
cannot take go to the new journal. A call ends on the recorder it started with, and every
recorder's journal is replayed (at once, then every ``replay_every`` seconds) while the
server runs, so the old journal empties itself as the database takes its records. What is
still in it when the server stops is replayed by ``ivr db flush`` with a configuration that
names it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ivr.store.async_recorder import AsyncCallRecorder
from ivr.store.recorder import CallRecorder
from ivr.transport.provider import Snapshot


class JournalRecorders:
    def __init__(self, recorder: AsyncCallRecorder, snapshot: Snapshot) -> None:
        #: The recorder the server was given serves the journal of its first snapshot.
        self.first = recorder
        self._by_journal: dict[Path, AsyncCallRecorder] = {snapshot.journal.path: recorder}
        self._own: list[AsyncCallRecorder] = []  # made here: closed here

    def for_snapshot(self, snapshot: Snapshot) -> AsyncCallRecorder:
        """The recorder of a snapshot's journal (``prepare`` made it before the swap)."""
        return self._by_journal[snapshot.journal.path]

    def prepare(self, snapshot: Snapshot) -> None:
        """Make the recorder of a new snapshot's journal, if it has none (blocking: a worker
        thread, before the snapshot becomes current)."""
        if snapshot.journal.path in self._by_journal:
            return
        base = self.first.recorder
        recorder = AsyncCallRecorder(
            CallRecorder(base.repository, snapshot.journal, base.retry_after, base.clock),
            self.first.replay_every,
        )
        self._own.append(recorder)
        self._by_journal[snapshot.journal.path] = recorder

    def start(self) -> None:
        """Start replaying every journal (on the event loop; again after a reload)."""
        for recorder in self._by_journal.values():
            recorder.start_replayer()

    async def drain(self) -> None:
        """Wait until every record handed over so far is written or journalled."""
        await asyncio.gather(*(r.drain() for r in self._by_journal.values()))

    async def close(self) -> None:
        """Close the recorders made here (the first one belongs to whoever made it)."""
        loop = asyncio.get_running_loop()
        for recorder in self._own:
            await loop.run_in_executor(None, recorder.close)
