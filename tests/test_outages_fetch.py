"""Fetching a DSO's feed from a real HTTP server on 127.0.0.1 into a real database: every
failure keeps the last good data, and a fetch that changed nothing still counts as fresh."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli_support import free_port, process_env, shipped_config_in, workdir_database

from ivr.outages.batch import Origin
from ivr.outages.fetch import FetchError, fetch_text, parse_duration, watch_once
from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository

KYIV = ZoneInfo("Europe/Kyiv")
RELEASE = threading.Event()  # lets the never-answering handler go at the end of a test


def feed(restoration: str = "2026-12-01T12:00:00+02:00") -> str:
    return json.dumps(
        {
            "outages": [
                {
                    "id": "AV-1",
                    "kind": "emergency",
                    "settlement": "Калинове",
                    "streets": ["вул. Мрійна"],
                    "start": "2026-12-01T07:55:00+02:00",
                    "restoration": restoration,
                }
            ]
        },
        ensure_ascii=False,
    )


class Handler(SimpleHTTPRequestHandler):
    """The directory's files, plus /error (500) and /slow (never answers in time)."""

    def do_GET(self) -> None:
        if self.path == "/error":
            self.send_error(500)
        elif self.path == "/slow":
            RELEASE.wait(10)
        else:
            super().do_GET()

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving ``files/``: (its base URL, the directory)."""
    files = tmp_path / "files"
    files.mkdir()
    RELEASE.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(files)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    RELEASE.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def store(repository: CallRepository) -> OutageStore:
    return OutageStore(repository)


ORIGIN = Origin("feed", "feed")


def stored(store: OutageStore) -> list[tuple[str, datetime | None]]:
    return [(o.id, o.restoration) for o in store.list(active_only=False)]


def test_every_failure_keeps_the_last_good_data(server, store, caplog):
    base, files = server
    (files / "feed.json").write_text(feed(), encoding="utf-8")
    first = datetime(2026, 12, 1, 8, tzinfo=UTC)
    good = watch_once(store, f"{base}/feed.json", "json", ORIGIN, now=first)
    assert good.changed and good.summary is not None and good.summary.added == 1
    noon = datetime(2026, 12, 1, 12, tzinfo=KYIV)
    assert stored(store) == [("AV-1", noon)]
    assert store.fetches() == {"feed": first}

    (files / "page.html").write_text("<p>Увійдіть</p>", encoding="utf-8")
    (files / "login.json").write_text("<!DOCTYPE html><html><body>Вхід</body></html>")
    (files / "broken.json").write_text('{"outages": [{"id": "AV-1",}]}', encoding="utf-8")
    (files / "bad.json").write_text(feed("2026-12-01T07:00:00+02:00"), encoding="utf-8")
    failures = {
        "/slow": "timed out after 0.5 s",
        "/error": "HTTP 500 Internal Server Error, expected 200",
        "/missing.json": "HTTP 404 File not found, expected 200",
        "/page.html": "returned HTML, not JSON (a login or error page?)",
        "/login.json": "returned HTML, not JSON (a login or error page?)",
        "/broken.json": "1 problem(s): feed:1: not JSON: Expecting property name enclosed in",
        "/bad.json": "feed: $.outages[0].restoration: 2026-12-01T07:00:00+02:00 is not after",
    }
    for path, reason in failures.items():
        caplog.clear()
        later = first + timedelta(minutes=5)
        with caplog.at_level(logging.WARNING, logger="ivr.outages.fetch"):
            outcome = watch_once(store, base + path, "json", ORIGIN, timeout=0.5, now=later)
        assert outcome.summary is None and outcome.failure is not None
        assert reason in outcome.failure, outcome.failure
        assert outcome.failure.endswith("kept the last good data")
        (record,) = caplog.records
        assert record.levelno == logging.WARNING and "\n" not in record.getMessage()
        assert stored(store) == [("AV-1", noon)]  # the last good data stays
        assert store.fetches() == {"feed": first}  # and a failure is not fresh data

    refused = watch_once(store, f"http://127.0.0.1:{free_port()}/feed.json", "json", ORIGIN)
    assert refused.failure is not None and "connection refused" in refused.failure
    assert stored(store) == [("AV-1", noon)]

    (files / "feed.json").write_text(feed("2026-12-01T15:30:00+02:00"), encoding="utf-8")
    revised = watch_once(store, f"{base}/feed.json", "json", ORIGIN, now=first + timedelta(hours=1))
    assert revised.summary is not None and revised.summary.revised == 1
    (outage,) = store.list()
    assert [r.at for r in outage.restorations] == [noon, datetime(2026, 12, 1, 15, 30, tzinfo=KYIV)]


def test_a_body_over_the_limit_and_other_readable_failures(server, tmp_path):
    base, files = server
    (files / "big.json").write_text(feed(), encoding="utf-8")
    with pytest.raises(FetchError, match=r"big.json: is too large: \d+ bytes, the limit is 100"):
        fetch_text(f"{base}/big.json", limit=100)
    with pytest.raises(FetchError, match="big.json: is too large"):
        fetch_text(str(files / "big.json"), limit=100)
    with pytest.raises(FetchError, match="nothing.json: cannot read: No such file"):
        fetch_text(str(tmp_path / "nothing.json"))
    (files / "empty.json").write_text("")
    with pytest.raises(FetchError, match="returned nothing"):
        fetch_text(f"{base}/empty.json")
    (files / "latin.json").write_bytes('{"a": "Київ"}'.encode("cp1251"))
    with pytest.raises(FetchError, match="returned text that is not UTF-8"):
        fetch_text(f"{base}/latin.json")
    assert json.loads(fetch_text(f"{base}/big.json"))["outages"][0]["id"] == "AV-1"


def test_durations():
    assert [parse_duration(t) for t in ("30s", "5m", "1h", "1h30m")] == [30, 300, 3600, 5400]
    for wrong in ("5", "5x", "m", "0s", "-5m", ""):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(wrong)


def test_a_fetch_that_changed_nothing_is_fresh_data(db_url, tmp_path):
    """On SQLite and PostgreSQL: ``updated_at()`` moves with every successful fetch, not
    with a failed one, a plain import or an older fetch."""
    repository = CallRepository(db_url)
    repository.ensure_schema()
    store = OutageStore(repository)
    path = tmp_path / "feed.json"
    path.write_text(feed(), encoding="utf-8")
    t1 = datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert watch_once(store, str(path), "json", ORIGIN, now=t1).changed
    assert store.updated_at() == t1
    t2 = t1 + timedelta(minutes=5)
    same = watch_once(store, str(path), "json", ORIGIN, now=t2)
    assert same.summary is not None and not same.changed and same.summary.unchanged == 1
    assert store.updated_at() == t2 and store.fetches() == {"feed": t2}
    path.write_text("{", encoding="utf-8")
    assert watch_once(store, str(path), "json", ORIGIN, now=t2 + timedelta(minutes=5)).failure
    assert store.updated_at() == t2
    path.write_text(feed(), encoding="utf-8")
    assert watch_once(store, str(path), "json", ORIGIN, now=t1).summary is not None  # older
    assert store.fetches() == {"feed": t2}
    from ivr.outages.formats import read_file

    store.import_batch(read_file(path, "json", ORIGIN), "feed", at=t2 + timedelta(hours=1))
    assert store.updated_at() == t2  # an import that changed nothing and is no fetch
    repository.dispose()


# -- ivr outages watch --once, a real process ---------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return shipped_config_in(tmp_path)


def ivr_watch(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ivr", "outages", "watch", *args, "--config", "config.yaml"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        env=process_env(),
    )


def test_watch_once_end_to_end(server, workdir):
    base, files = server
    (files / "feed.json").write_text(feed(), encoding="utf-8")
    url = f"{base}/feed.json"
    result = ivr_watch(workdir, url, "--format", "json", "--once", "--source", "dso")
    assert result.returncode == 0, result.stderr
    assert f"INFO ivr.outages.fetch: {url}: 1 added, 0 revised, 0 unchanged" in result.stderr
    repository = CallRepository(workdir_database(workdir))
    store = OutageStore(repository)
    assert [(o.source, o.id) for o in store.list()] == [("dso", "AV-1")]
    fetched = store.fetches()["dso"]

    again = ivr_watch(workdir, url, "--format", "json", "--once", "--source", "dso")
    assert again.returncode == 0 and "added" not in again.stderr  # nothing changed: quiet
    assert store.fetches()["dso"] > fetched  # but the data is fresh

    failed = ivr_watch(workdir, f"{base}/error", "--format", "json", "--once", "--source", "dso")
    assert failed.returncode == 1
    assert (
        f"WARNING ivr.outages.fetch: {base}/error: HTTP 500 Internal Server Error, expected 200; "
        "kept the last good data" in failed.stderr
    )
    assert [(o.source, o.id) for o in store.list()] == [("dso", "AV-1")]

    wrong = ivr_watch(workdir, url, "--format", "json", "--every", "5x")
    assert wrong.returncode == 2
    assert '"5x" is not a duration: a number and a unit, e.g. 30s, 5m or 1h' in wrong.stderr
    repository.dispose()


def test_watch_keeps_going_through_failures_until_interrupted(server, workdir):
    base, files = server
    command = [sys.executable, "-m", "ivr", "outages", "watch", f"{base}/feed.json"]
    options = ["--format", "json", "--every", "1s", "--source", "dso", "--config", "config.yaml"]
    process = subprocess.Popen(
        [*command, *options], cwd=workdir, env=process_env(), stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines = []
    while len([line for line in lines if "HTTP 404" in line]) < 2:  # not there yet: 404
        lines.append(process.stderr.readline())
        assert lines[-1], "watch exited"
    (files / "feed.json").write_text(feed(), encoding="utf-8")
    while "1 added" not in lines[-1]:
        lines.append(process.stderr.readline())
        assert lines[-1], "watch exited"
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    assert process.returncode == 0
    repository = CallRepository(workdir_database(workdir))
    assert [(o.source, o.id) for o in OutageStore(repository).list()] == [("dso", "AV-1")]
    repository.dispose()


def test_the_server_watches_a_feed_in_a_thread_of_its_own(config_copy, tmp_path):
    """``ivr serve --watch``: the feed is imported while the server answers calls, and a
    feed that turns bad keeps the last good data."""
    import shutil

    from conftest import ROOT
    from serve_process import ServeProcess

    feed = tmp_path / "feed.json"
    shutil.copy(ROOT / "examples" / "sample" / "outages.json", feed)
    serve = ServeProcess(
        config_copy, "--watch", str(feed), "--watch-format", "json", "--watch-every", "1s"
    )
    try:
        serve.wait_for(r"watching .*feed\.json \(json\) every 1 s")
        serve.wait_for(r"feed\.json: 2 added")
        feed.write_text("<html>maintenance</html>", encoding="utf-8")
        serve.wait_for(r"feed\.json: .*kept the last good data")
        repository = CallRepository(f"sqlite:///{config_copy.parent / 'ivr.sqlite3'}")
        try:
            assert len(OutageStore(repository).list(active_only=False)) == 2
        finally:
            repository.dispose()
    finally:
        serve.proc.send_signal(signal.SIGTERM)
        assert serve.proc.wait(30) == 0


def test_watch_once_with_the_database_down_says_so_in_one_line(server, workdir):
    base, files = server
    (files / "feed.json").write_text(feed(), encoding="utf-8")
    config = workdir / "config.yaml"
    text = config.read_text(encoding="utf-8")
    assert "url: sqlite:///ivr.sqlite3" in text
    down = "url: postgresql+psycopg://ivr@127.0.0.1:9/ivr"  # nothing listens there
    config.write_text(text.replace("url: sqlite:///ivr.sqlite3", down), encoding="utf-8")
    result = ivr_watch(workdir, f"{base}/feed.json", "--format", "json", "--once")
    assert result.returncode == 2  # refused at the start, before fetching
    assert "is not usable" in result.stderr and "Traceback" not in result.stderr


def test_a_database_that_goes_away_refuses_an_import_in_its_own_words():
    """What ``watch --once`` reports in one line (and ``watch`` logs and retries) when the
    database stops between two fetches."""
    from ivr.outages.batch import Batch
    from ivr.store.repository import StorageError

    store = OutageStore(CallRepository("postgresql+psycopg://ivr@127.0.0.1:9/ivr"))
    with pytest.raises(StorageError, match="the database refused: .*Connection refused"):
        store.import_batch(Batch(), "dso")
