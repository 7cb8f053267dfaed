"""Reading a database URL without SQLAlchemy (process AGI stays lean)."""

from __future__ import annotations

from pathlib import Path


def dialect(url: str) -> str:
    """``sqlite`` for ``sqlite+pysqlite:///x``, ``postgresql`` for ``postgresql+psycopg://``."""
    return url.partition(":")[0].partition("+")[0].lower()


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, absolute (a relative one is relative to the working
    directory, as SQLite opens it); None for an in-memory database or another dialect."""
    if dialect(url) != "sqlite":
        return None
    _, sep, rest = url.partition(":///")
    path = rest.split("?", 1)[0]
    if not sep or not path or path.startswith(":memory:"):
        return None
    return Path(path) if Path(path).is_absolute() else Path.cwd() / path
