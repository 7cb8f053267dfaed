"""The dispatch system's pushes: the aiohttp endpoint on a real port of 127.0.0.1 over a real
SQLite database, then ``ivr outages serve-push`` as a real process."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli_support import free_port, process_env, shipped_config_in, workdir_database

from ivr.outages.push import make_app
from ivr.store.outages import OutageStore
from ivr.store.repository import CallRepository
from ivr.transport.http import start

KYIV = ZoneInfo("Europe/Kyiv")
TOKEN = "s3cret-token-of-the-dispatch"


def document(restoration: str = "2026-12-01T12:00:00+02:00", **more) -> dict:
    return {
        "outages": [
            {
                "id": "AV-7",
                "kind": "emergency",
                "settlement": "Калинове",
                "streets": ["вул. Мрійна"],
                "houses": ["1", "3-А"],
                "start": "2026-12-01T07:55:00+02:00",
                "restoration": restoration,
                **more,
            }
        ]
    }


def post(
    url: str, body: bytes | str | dict, token: str | None = TOKEN
) -> tuple[int, dict[str, object]]:
    """POST ``body`` (a dict as JSON); the status and the JSON answer."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    data = data.encode() if isinstance(data, str) else data
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def store(repository: CallRepository) -> OutageStore:
    return OutageStore(repository)


@pytest.fixture
def endpoint(store: OutageStore) -> Iterator[str]:
    """The push application served on a free port of 127.0.0.1 by a thread's event loop."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    bound: list[int] = []

    async def run() -> None:
        runner, port = await start(make_app(store, TOKEN), "127.0.0.1", 0)
        bound.append(port)
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    task = loop.create_task(run())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"http://127.0.0.1:{bound[0]}/outages"
    loop.call_soon_threadsafe(task.cancel)
    time.sleep(0.1)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def restorations(store: OutageStore) -> list[datetime | None]:
    return [r.at for o in store.list(active_only=False) for r in o.restorations]


def test_refused_pushes_change_nothing_and_good_ones_are_stored(endpoint, store):
    for token in ("wrong-token-wrong-token", None, ""):
        status, answer = post(endpoint, document(), token=token)
        assert status == 401 and "token" in str(answer["error"])
    assert store.list(active_only=False) == [] and store.fetches() == {}

    status, answer = post(endpoint, '{"outages": [{"id": "AV-7",}]}')
    assert (status, answer) == (400, {"problems": ["push:1: not JSON: " + _json_error()]})
    status, answer = post(endpoint, document(kind="breakdown", start="сьогодні"))
    assert status == 400
    assert answer["problems"] == [
        'push: $.outages[0].kind: unknown kind "breakdown" (expected one of emergency, planned)',
        "push: $.outages[0].start: " + _moment_error("сьогодні"),
    ]
    status, answer = post(endpoint, b"\xff\xfe{}")
    assert (status, answer) == (400, {"problems": ["body: not UTF-8 text"]})
    assert store.list(active_only=False) == [] and store.fetches() == {}

    status, answer = post(endpoint, document())
    assert status == 200
    assert answer == {
        "added": 1,
        "revised": 0,
        "unchanged": 0,
        "missing": [],
        "summary": "1 added, 0 revised, 0 unchanged",
    }
    (stored,) = store.list()
    assert (stored.source, stored.id, stored.area.houses) == ("push", "AV-7", ("1", "3-А"))
    noon = datetime(2026, 12, 1, 12, tzinfo=KYIV)
    assert restorations(store) == [noon]
    first = store.fetches()["push"]

    status, answer = post(endpoint, document("2026-12-01T16:30:00+02:00"))
    assert status == 200 and (answer["added"], answer["revised"]) == (0, 1)
    assert restorations(store) == [noon, datetime(2026, 12, 1, 16, 30, tzinfo=KYIV)]
    assert store.fetches()["push"] >= first
    assert store.updated_at() == store.fetches()["push"]

    status, _ = post(endpoint, document(kind="x"), token="wrong-token-wrong-token")
    assert status == 401
    assert restorations(store) == [noon, datetime(2026, 12, 1, 16, 30, tzinfo=KYIV)]


class ThreadNoting(OutageStore):
    """The real store, noting the threads its imports run on."""

    threads: list[str] = []

    def import_batch(self, *args, **kwargs):
        self.threads.append(threading.current_thread().name)
        return super().import_batch(*args, **kwargs)


def test_the_database_work_runs_off_the_event_loop(repository):
    store = ThreadNoting(repository)
    app = make_app(store, TOKEN)
    loop = asyncio.new_event_loop()

    async def push_twice() -> list[int]:
        runner, port = await start(app, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{port}/outages"
        try:
            answers = await asyncio.gather(
                asyncio.to_thread(post, url, document()),
                asyncio.to_thread(post, url, document("2026-12-01T18:00:00+02:00")),
            )
        finally:
            await runner.cleanup()
        return sorted(status for status, _ in answers)

    assert loop.run_until_complete(push_twice()) == [200, 200]
    loop.close()
    assert store.threads and all(t.startswith("ivr-push") for t in store.threads)
    assert len(restorations(store)) == 2  # one after the other, whichever came first


def test_only_post_to_outages(endpoint):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for url, method, code in ((endpoint, "GET", 405), (endpoint + "x", "POST", 404)):
        request = urllib.request.Request(url, data=b"{}", headers=auth, method=method)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == code


def _json_error() -> str:
    try:
        json.loads('{"outages": [{"id": "AV-7",}]}')
    except json.JSONDecodeError as exc:
        return exc.msg
    raise AssertionError


def _moment_error(text: str) -> str:
    from ivr.outages.moments import parse_moment

    try:
        parse_moment(text, "Europe/Kyiv")
    except ValueError as exc:
        return str(exc)
    raise AssertionError


# -- ivr outages serve-push, a real process -------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return shipped_config_in(tmp_path)


def serve_push(workdir: Path, *args: str, token: str | None = TOKEN) -> subprocess.Popen:
    env = process_env()
    env.pop("IVR_PUSH_TOKEN", None)
    if token is not None:
        env["IVR_PUSH_TOKEN"] = token
    command = [sys.executable, "-m", "ivr", "outages", "serve-push", "--config", "config.yaml"]
    return subprocess.Popen(
        [*command, *args], cwd=workdir, env=env, stderr=subprocess.PIPE, text=True
    )


def test_serve_push_refuses_to_start_without_a_token_or_on_a_remote_address(workdir):
    for token, message in (
        (None, "set IVR_PUSH_TOKEN to the token the dispatch system sends"),
        ("short", "IVR_PUSH_TOKEN is too short: use at least 16 random characters"),
    ):
        process = serve_push(workdir, token=token)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 1 and message in err
    process = serve_push(workdir, "--listen", "0.0.0.0:8089")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "pass --allow-remote as well" in err
    process = serve_push(workdir, "--listen", "8089")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and '"8089" is not HOST:PORT' in err


def test_serve_push_as_a_process(workdir):
    port = free_port()
    process = serve_push(workdir, "--listen", f"127.0.0.1:{port}")
    try:
        assert process.stderr is not None
        line = ""
        deadline = time.monotonic() + 60
        while "accepting pushes" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line or process.poll() is None, "serve-push exited"
        assert f"accepting pushes on http://127.0.0.1:{port}/outages" in line
        status, answer = post(f"http://127.0.0.1:{port}/outages", document())
        assert status == 200 and answer["added"] == 1
        repository = CallRepository(workdir_database(workdir))
        assert [(o.source, o.id) for o in OutageStore(repository).list()] == [("push", "AV-7")]
        repository.dispose()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
