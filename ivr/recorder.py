"""Writing call records at the end of a call, without losing them and without blocking calls."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from ivr.call import CallRecord
from ivr.storage import CallRepository

log = logging.getLogger(__name__)


class CallRecorder:
    """Saves records through the repository; a failed save is reported loudly with the record."""

    def __init__(self, repository: CallRepository) -> None:
        self.repository = repository
        self.failed = 0

    def record(self, record: CallRecord) -> bool:
        try:
            self.repository.save_call(record)
            return True
        except Exception as exc:
            self.failed += 1
            log.error(
                "CALL RECORD NOT SAVED (database %s: %s); record follows: %s",
                self.repository.engine.url.render_as_string(hide_password=True),
                exc,
                json.dumps(record.to_json(), ensure_ascii=False),
            )
            return False


class AsyncCallRecorder:
    """Runs the blocking database write in one worker thread, off the event loop."""

    def __init__(self, recorder: CallRecorder) -> None:
        self.recorder = recorder
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-db")
        self._pending: set[asyncio.Future[bool]] = set()

    def record(self, record: CallRecord) -> asyncio.Future[bool]:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self.recorder.record, record)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    async def drain(self) -> None:
        """Wait for every record handed over so far to be written (or reported)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
