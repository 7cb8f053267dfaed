"""Shared fixtures: the shipped configuration on a real SQLite file, and the simulator."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from audio_support import built_prompts  # noqa: F401  (session fixture: prompts built once)
from pg import PostgresUnavailable, ThrowawayPostgres
from shipped import single_company

from ivr.audio.playable import AudioCatalogue
from ivr.config import Config, load_config
from ivr.simulator import KeyScript, asterisk_env, parse_keys, simulate_builtin
from ivr.store.recorder import CallRecorder
from ivr.store.repository import CallRepository

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = ROOT / "config.yaml"
SUPPLIER_CONFIG = ROOT / "examples" / "supplier.yaml"


@pytest.fixture(scope="session")
def shipped_config() -> Config:
    return load_config(SHIPPED_CONFIG)


def built_only(config: Config, ids: set[str] | frozenset[str]) -> AudioCatalogue:
    """An audio catalogue as if the build had made only ``ids`` for ``config``."""
    prompts = config.prompts
    return AudioCatalogue(prompts.sounds_dir / prompts.language, frozenset(ids))


@pytest.fixture
def config(shipped_config: Config, tmp_path: Path) -> Config:
    """The shipped config, writing to a SQLite file of its own."""
    return dataclasses.replace(
        shipped_config,
        database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
        journal_path=tmp_path / "ivr-journal.jsonl",
    )


@pytest.fixture
def supplier_config(tmp_path: Path) -> Config:
    """The supplier example, writing to the same temporary database as ``config``."""
    return dataclasses.replace(
        load_config(SUPPLIER_CONFIG),
        database_url=f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
        journal_path=tmp_path / "ivr-journal.jsonl",
    )


@pytest.fixture
def repository(config: Config) -> CallRepository:
    repo = CallRepository(config.database_url)
    repo.ensure_schema()
    yield repo
    repo.dispose()


@pytest.fixture
def simulate(config: Config, repository: CallRepository):
    """Run one simulated call through the call runner; returns the transcript. ``audio``:
    what the build made (default: the config's sounds directory as it is)."""

    def run(keys: str = "", caller: str = "0441234567", cfg: Config | None = None, **options):
        cfg = cfg or config
        env = options.pop("env", None) or asterisk_env(caller, cfg.company.dialled_numbers[0])
        return simulate_builtin(
            cfg, CallRecorder(repository), env, KeyScript(parse_keys(keys)), **options
        )

    return run


def prompts_played(transcript) -> list[str]:
    return [e["id"] for e in transcript.events if e["type"] == "prompt"]


# -- databases: every test that takes ``db_url`` runs on SQLite and on a real PostgreSQL ------


def start_throwaway_postgres() -> ThrowawayPostgres:
    """A started PostgreSQL of the test's own; skips without one, except in CI."""
    try:
        server = ThrowawayPostgres()
        server.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    return server


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session: ``IVR_TEST_POSTGRES_URL`` or a throwaway one."""
    external = os.environ.get("IVR_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    server = start_throwaway_postgres()
    yield server.url
    server.destroy()


@pytest.fixture
def own_postgres():
    """A PostgreSQL server this test alone may stop and start."""
    server = start_throwaway_postgres()
    yield server
    server.destroy()


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or the PostgreSQL server with a fresh schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    url = request.getfixturevalue("postgres_server")
    reset_postgres(url)
    return url


@pytest.fixture
def config_copy(tmp_path: Path, built_prompts: Path) -> Path:  # noqa: F811
    """The shipped config in a temporary directory, with its database and built audio there."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace("prompts/uk.yaml", str(ROOT / "prompts" / "uk.yaml"))
    text = single_company(text)
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copytree(built_prompts, tmp_path / "prompts")  # ivr serve/agi refuse without audio
    return path


# -- the web console -------------------------------------------------------------------------


@pytest.fixture
def console_state(shipped_config: Config, db_url: str, tmp_path: Path):
    """The console's state on SQLite and PostgreSQL, with one user of each role."""
    from console_support import add_users
    from console_support import console_state as make_state

    state = make_state(shipped_config, db_url, tmp_path)
    add_users(state)
    yield state
    state.repository.dispose()


@pytest.fixture
def console_client(console_state):
    from console_support import ConsoleClient

    client = ConsoleClient(console_state)
    yield client
    client.close()
