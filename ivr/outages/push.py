"""The push endpoint for a DSO's dispatch system (``ivr outages serve-push``).

``POST /outages`` with ``Authorization: Bearer TOKEN`` and a body in our JSON format (the
one ``ivr.outages.ours.parse_json`` reads, ``{"outages": [...]}``): a good one is imported
whole (200, the summary as JSON); a wrong or missing token is 401 and malformed JSON or a
bad record 400 with ``{"problems": [...]}``, and in both nothing is stored. aiohttp serves
it on asyncio; parsing and the database work run on one worker thread of their own, never
on the event loop, and one push at a time (a revision never races the push before it).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ivr.outages.batch import Origin
from ivr.outages.fetch import MAX_BYTES
from ivr.outages.ours import parse_json
from ivr.outages.problems import BadData
from ivr.store.outages import ImportSummary, OutageStore

log = logging.getLogger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8089"
DEFAULT_SOURCE = "push"
TOKEN_ENV = "IVR_PUSH_TOKEN"
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class PushSettings:
    token: bytes
    source: str  # the pushed records' source
    tz: str  # the local time of times without an offset
    executor: ThreadPoolExecutor  # the one thread that parses and stores


STORE = web.AppKey("store", OutageStore)
SETTINGS = web.AppKey("settings", PushSettings)


def token_problem(token: str | None) -> str | None:
    """Why the configured token cannot be used, or None."""
    if not token or not token.strip():
        return (
            f"set {TOKEN_ENV} to the token the dispatch system sends "
            "(Authorization: Bearer TOKEN); refusing to start without one"
        )
    if len(token.strip()) < MIN_TOKEN_LENGTH:
        return f"{TOKEN_ENV} is too short: use at least {MIN_TOKEN_LENGTH} random characters"
    return None


def make_app(
    store: OutageStore,
    token: str,
    *,
    source: str = DEFAULT_SOURCE,
    tz: str = "Europe/Kyiv",
    executor: ThreadPoolExecutor | None = None,
) -> web.Application:
    """The push application over ``store``; ``source``: the pushed records' source."""
    app = web.Application(client_max_size=MAX_BYTES)
    worker = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-push")
    app[STORE] = store
    app[SETTINGS] = PushSettings(token.strip().encode("utf-8"), source, tz, worker)
    app.router.add_post("/outages", _push)

    async def shutdown(_app: web.Application) -> None:
        if executor is None:
            worker.shutdown(wait=True)

    app.on_cleanup.append(shutdown)
    return app


# -- the request --------------------------------------------------------------------------


async def _push(request: web.Request) -> web.Response:
    settings, store = request.app[SETTINGS], request.app[STORE]
    if not _authorised(request.headers.get("Authorization", ""), settings.token):
        log.warning("push from %s refused: wrong or missing token", request.remote)
        return web.json_response(
            {"error": "a wrong or missing token (Authorization: Bearer TOKEN)"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="ivr-outages"'},
        )
    body = await request.read()
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return _refused(["body: not UTF-8 text"])
    at = datetime.now(UTC)
    loop = asyncio.get_running_loop()
    try:
        summary = await loop.run_in_executor(
            settings.executor, _import, store, text, settings.source, settings.tz, at
        )
    except BadData as exc:
        return _refused([str(p) for p in exc.problems])
    except Exception as exc:  # the database: nothing was stored (one transaction)
        log.warning("push not stored: %s", _first_line(exc))
        return web.json_response({"error": "the outages cannot be stored now"}, status=503)
    log.info("push from %s: %s", request.remote, summary)
    return web.json_response(summary_json(summary))


def _import(store: OutageStore, text: str, source: str, tz: str, at: datetime) -> ImportSummary:
    """Parse and store a push (on the worker thread): BadData when it is wrong."""
    batch = parse_json(text, Origin("push", source, tz))
    return store.import_batch(batch, source, at=at, fetched=True)


def summary_json(summary: ImportSummary) -> dict[str, Any]:
    return {
        "added": summary.added,
        "revised": summary.revised,
        "unchanged": summary.unchanged,
        "missing": list(summary.missing),
        "summary": str(summary),
    }


def _authorised(header: str, token: bytes) -> bool:
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token)


def _refused(problems: list[str]) -> web.Response:
    log.warning("push refused, nothing stored: %d problem(s): %s", len(problems), problems[0])
    return web.json_response({"problems": problems}, status=400)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)
