"""The FastAGI server's recorder: a ``CallRecorder`` in one worker thread, off the event loop.

The same two calls as ``ivr.store.recorder.Recorder``, except that ``record`` returns at
once with a future of where the record went.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from ivr.store.journal import StartWriter
from ivr.store.recorder import LOST, CallRecorder
from ivr.store.records import CallRecord

log = logging.getLogger(__name__)

#: Records written in one transaction at most (the queue is drained in batches this big).
MAX_BATCH = 200


def _resolve(futures: list[asyncio.Future[str]], places: list[str]) -> None:
    for future, place in zip(futures, places, strict=False):
        if not future.done():
            future.set_result(place)


class AsyncCallRecorder:
    """Runs the blocking writes in one worker thread, off the event loop; the call never waits.

    Records queue up while the worker writes; the worker takes everything queued (up to
    ``MAX_BATCH``) and writes it in one transaction, so a burst of calls costs a few commits,
    not one each, and the worker holds the GIL (which the event loop needs) far less.
    """

    def __init__(self, recorder: CallRecorder, replay_every: float = 10.0) -> None:
        self.recorder = recorder
        self.replay_every = replay_every
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-db")
        self._pending: set[asyncio.Future[str]] = set()
        self._replayer: asyncio.Task[None] | None = None
        self._queue: list[tuple[CallRecord, asyncio.Future[str]]] = []
        self._queue_lock = threading.Lock()
        self._writing = False  # a write job is scheduled or running in the worker
        journal = recorder.journal
        self._starts = StartWriter(journal) if journal is not None else None

    def started(self, record: CallRecord) -> None:
        """Journal a call's start (batched fsync in a thread), so that a call whose server is
        killed before it ends is still recorded, ``interrupted``, at the next replay."""
        if self._starts is not None:
            self._starts.put(record)

    def record(self, record: CallRecord) -> asyncio.Future[str]:
        """Queue a record; the future resolves to where it went (database/journal/lost)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        with self._queue_lock:
            self._queue.append((record, future))
            start, self._writing = not self._writing, True
        if start:
            loop.run_in_executor(self._executor, self._write_queued, loop)
        return future

    def _write_queued(self, loop: asyncio.AbstractEventLoop) -> None:
        """Worker thread: write queued records in batches until the queue is empty."""
        while True:
            with self._queue_lock:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                if not batch:
                    self._writing = False
                    return
            try:
                places = self.recorder.record_many([record for record, _ in batch])
            except BaseException as exc:  # record_many does not raise; never strand futures
                places = [LOST] * len(batch)
                log.exception("writing %d call records failed: %s", len(batch), exc)
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, [future for _, future in batch], places)

    def start_replayer(self) -> None:
        """Replay the journal periodically while the server runs."""
        if self._replayer is None and self.recorder.journal is not None:
            self._replayer = asyncio.get_running_loop().create_task(self._replay_loop())

    async def _replay_loop(self) -> None:
        """Replay at once (calls a killed server left behind), then every ``replay_every``."""
        loop = asyncio.get_running_loop()
        first = True
        while True:
            if not first:
                await asyncio.sleep(self.replay_every)
            first = False
            if (
                self.recorder.journal
                and self.recorder.journal.pending()
                and not self.recorder.database_down
            ):
                try:
                    await loop.run_in_executor(self._executor, self.recorder.flush)
                except Exception:
                    log.exception("journal replay failed")

    async def drain(self) -> None:
        """Wait for every record handed over so far to be written (or journalled)."""
        if self._replayer is not None:
            self._replayer.cancel()
            self._replayer = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._starts is not None:
            self._starts.close()
