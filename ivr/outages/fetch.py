"""Fetching a DSO's outage data: a SOURCE (an http(s) URL or a file path) read with a
timeout and a size limit, then parsed whole with one of ``ivr.outages.formats.PARSERS``.

Every way a fetch fails is a ``FetchError`` of one readable line (``SOURCE: timed out after
30 s``, ``SOURCE: HTTP 500 Internal Server Error``, ``SOURCE: returned HTML, not JSON (a login
or error page?)``); data that is wrong is the parser's ``BadData`` with every problem.
``watch_once`` is one cycle of ``ivr outages watch``: fetch, validate, import, or keep the last
good data and say why.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ivr.outages.batch import Batch, Origin
from ivr.outages.formats import PARSERS
from ivr.outages.problems import BadData

if TYPE_CHECKING:
    from ivr.store.outages import ImportSummary, OutageStore

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds, for the whole fetch
MAX_BYTES = 20 * 1024 * 1024  # the largest body taken (a yasno file is some 100 KB)
JSON_FORMATS = frozenset({"yasno", "dtek", "json"})
USER_AGENT = "ivr-outage-feed/1"
_CHUNK = 64 * 1024
_DURATION = re.compile(r"(\d+)\s*([smh])")
_UNITS = {"s": 1, "m": 60, "h": 3600}


class FetchError(Exception):
    """A source could not be fetched, or what it returned is not data: one line."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


def default_source_name(source: str) -> str:
    """The records' source when none is given: a URL's host, a file's name."""
    name = (urlsplit(source).hostname or source) if is_url(source) else Path(source).name
    return name[:64]


def parse_duration(text: str) -> float:
    """``30s``, ``5m``, ``1h`` (or ``1h30m``) in seconds; ValueError otherwise."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not parts or _DURATION.sub("", compact).strip():
        raise ValueError(f'"{text}" is not a duration: a number and a unit, e.g. 30s, 5m or 1h')
    seconds = float(sum(int(n) * _UNITS[unit] for n, unit in parts))
    if seconds <= 0:
        raise ValueError(f'"{text}" is not a duration longer than zero')
    return seconds


def fetch_text(
    source: str, *, timeout: float = DEFAULT_TIMEOUT, limit: int = MAX_BYTES, format: str = "json"
) -> str:
    """The text at ``source`` (a URL or a file), read within ``timeout`` seconds in all;
    FetchError when it cannot be had, is larger than ``limit`` bytes, is not UTF-8 text or
    is an HTML page where ``format`` is data."""
    if is_url(source):
        body, charset, content_type = _get(source, timeout, limit)
    else:
        body, charset, content_type = _read(source, limit), "utf-8", ""
    try:
        text = body.decode(charset or "utf-8").removeprefix("\ufeff")
    except (LookupError, UnicodeDecodeError):
        raise FetchError(source, f"returned text that is not {charset or 'UTF-8'}") from None
    if _looks_like_html(text, content_type):
        kind = "JSON" if format in JSON_FORMATS else format.upper()
        raise FetchError(source, f"returned HTML, not {kind} (a login or error page?)")
    if not text.strip():
        raise FetchError(source, "returned nothing (an empty body)")
    return text


def fetch_batch(
    source: str,
    format: str,
    origin: Origin,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    limit: int = MAX_BYTES,
) -> Batch:
    """The records at ``source`` in ``format``, validated whole: FetchError when it cannot
    be fetched, BadData (every problem) when it is wrong."""
    text = fetch_text(source, timeout=timeout, limit=limit, format=format)
    return PARSERS[format](text, origin)


@dataclass(frozen=True)
class Outcome:
    """One cycle of a watch: the summary of what was imported, or why nothing was."""

    summary: ImportSummary | None = None
    failure: str | None = None  # one line

    @property
    def changed(self) -> bool:
        return self.summary is not None and bool(self.summary.added or self.summary.revised)


def watch_once(
    store: OutageStore,
    source: str,
    format: str,
    origin: Origin,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    now: datetime | None = None,
) -> Outcome:
    """Fetch ``source``, validate it whole and import it as ``origin.source`` fetched at
    ``now`` (default: when the fetch began). On any failure nothing is imported (the last
    good data stays) and a WARNING says why in one line; a change is logged at INFO."""
    at = now or datetime.now(UTC)
    try:
        batch = fetch_batch(source, format, origin, timeout=timeout)
    except FetchError as exc:
        return _failed(f"{exc}; kept the last good data")
    except BadData as exc:
        return _failed(
            f"{source}: {_problems_line(exc)}; nothing imported, kept the last good data"
        )
    summary = store.import_batch(batch, origin.source, at=at, fetched=True)
    outcome = Outcome(summary=summary)
    if outcome.changed:
        log.info("%s: %s", source, summary)
    else:
        log.debug("%s: %s", source, summary)
    return outcome


def watch(
    store: OutageStore,
    source: str,
    format: str,
    origin: Origin,
    *,
    every: float,
    timeout: float = DEFAULT_TIMEOUT,
    stop: threading.Event | None = None,
) -> None:
    """``watch_once`` every ``every`` seconds, until interrupted or ``stop`` is set. A
    database that cannot take the data is a WARNING too: the next cycle tries again."""
    stop = stop or threading.Event()
    while not stop.is_set():
        began = time.monotonic()
        try:
            watch_once(store, source, format, origin, timeout=timeout)
        except Exception as exc:  # the database is down or refuses: try again next time
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            log.warning("%s: cannot store the data: %s", source, first)
        stop.wait(max(0.0, every - (time.monotonic() - began)))


# -- reading ------------------------------------------------------------------------------


def _failed(line: str) -> Outcome:
    log.warning("%s", line)
    return Outcome(failure=line)


def _problems_line(exc: BadData, shown: int = 3) -> str:
    problems = [str(p) for p in exc.problems]
    text = f"{len(problems)} problem(s): " + "; ".join(problems[:shown])
    if len(problems) > shown:
        text += f"; and {len(problems) - shown} more"
    return text


def _get(url: str, timeout: float, limit: int) -> tuple[bytes, str | None, str]:
    """The body, its charset and content type of a 200 answer within ``timeout``."""
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/csv, */*"}
    )
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200:
                raise FetchError(url, f"HTTP {response.status} {response.reason}, expected 200")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise FetchError(
                    url, f"is too large: {_size(int(length))}, the limit is {_size(limit)}"
                )
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchError(url, f"is too large: over the limit of {_size(limit)}")
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunks.append(chunk)
            headers = response.headers
            return b"".join(chunks), headers.get_content_charset(), headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise FetchError(url, f"HTTP {exc.code} {exc.reason}, expected 200") from None
    except urllib.error.URLError as exc:
        raise FetchError(url, _reason(exc.reason, timeout)) from None
    except (TimeoutError, OSError) as exc:
        raise FetchError(url, _reason(exc, timeout)) from None


def _reason(reason: object, timeout: float) -> str:
    """A connection failure in a few words."""
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"timed out after {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "unknown host (DNS)"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {reason.verify_message}"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed: {reason.reason or reason}"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[0].lower() + reason.strerror[1:]
    return str(reason)


def _read(path: str, limit: int) -> bytes:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > limit:
            raise FetchError(path, f"is too large: {_size(size)}, the limit is {_size(limit)}")
        return file.read_bytes()
    except OSError as exc:
        raise FetchError(path, f"cannot read: {exc.strerror or exc}") from None


def _looks_like_html(text: str, content_type: str) -> bool:
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    start = text.lstrip()[:100].lower()
    return start.startswith(("<!doctype html", "<html", "<head", "<body", "<!--"))


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{count} bytes"
