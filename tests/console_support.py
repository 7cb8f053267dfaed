"""The web console under aiohttp's own test client (``aiohttp.test_utils``), driven from
synchronous tests: the client runs on an event loop in a thread of its own, and every call
waits for its answer. Cookies are kept as a browser keeps them."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from conftest import SHIPPED_CONFIG

from ivr.config import Config
from ivr.console.app import make_app
from ivr.console.web import Console
from ivr.store.repository import CallRepository
from ivr.store.users import UserStore

PASSWORD = "пароль-для-тестів-42"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    url: str
    headers: Any

    def csrf(self) -> str:
        found = CSRF_RE.search(self.text)
        assert found, f"no CSRF token on {self.url}"
        return found.group(1)


class ConsoleClient:
    def __init__(self, state: Console) -> None:
        self.state = state
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client: TestClient = self._call(self._start(state))

    async def _start(self, state: Console) -> TestClient:
        client = TestClient(TestServer(make_app(state)))
        await client.start_server()
        return client

    def _call(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def request(self, method: str, path: str, **options: Any) -> Reply:
        async def go() -> Reply:
            async with self.client.request(method, path, **options) as response:
                return Reply(
                    response.status, await response.text(), str(response.url), response.headers
                )

        return self._call(go())

    def get(self, path: str, **options: Any) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, data: dict[str, Any] | aiohttp.FormData, **options: Any) -> Reply:
        return self.request("POST", path, data=data, **options)

    def form(self, page: str, action: str, fields: dict[str, Any]) -> Reply:
        """Open ``page``, then send a form to ``action`` with that page's CSRF token."""
        token = self.get(page).csrf()
        return self.post(action, {"csrf": token, **fields})

    def login(self, name: str, password: str = PASSWORD) -> Reply:
        return self.form("/login", "/login", {"name": name, "password": password})

    def close(self) -> None:
        self._call(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def console_state(shipped: Config, db_url: str, tmp_path: Path) -> Console:
    """A console over the shipped configuration and a database of the test's own."""
    config = dataclasses.replace(
        shipped, database_url=db_url, journal_path=tmp_path / "ivr-journal.jsonl"
    )
    repository = CallRepository(db_url)
    repository.ensure_schema()
    repository.sync_config_topics(config)
    return Console(config_path=SHIPPED_CONFIG, config=config, repository=repository)


def add_users(state: Console) -> None:
    users = UserStore(state.repository)
    for name, role in (("dispatcher", "dispatcher"), ("super", "supervisor"), ("admin", "admin")):
        users.add(name, role, PASSWORD, "cli:test")
