"""Logging for every ``ivr`` process: one format, stderr, and where an admin will see it.

Lean on purpose (only ``logging``): process AGI sets it up on every call.
"""

from __future__ import annotations

import logging
import os
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def tagged_format(tag: str) -> str:
    """``FORMAT`` with the process's tag and pid (``[w2 4711]``), for the processes of
    ``ivr serve --workers N``, which write one log together (one line per write)."""
    return f"%(asctime)s [{tag} {os.getpid()}] %(levelname)s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO, *, syslog: bool = False, format: str = FORMAT) -> None:
    """Log to stderr; with ``syslog`` also to the system log where there is one (process AGI:
    a daemonised Asterisk points a script's stderr at /dev/null)."""
    logging.basicConfig(level=level, stream=sys.stderr, format=format)
    if not syslog or not os.path.exists("/dev/log"):
        return
    from logging.handlers import SysLogHandler

    try:
        handler = SysLogHandler(address="/dev/log", facility=SysLogHandler.LOG_DAEMON)
    except OSError:
        return
    handler.setFormatter(
        logging.Formatter(f"ivr-agi[{os.getpid()}]: %(levelname)s %(name)s: %(message)s")
    )
    logging.getLogger().addHandler(handler)


def log_to_file(path: os.PathLike[str] | str | None) -> None:
    """Also log to ``path`` (the config's ``log_file``); a file that cannot be opened is said
    once, on the other handlers."""
    if path is None:
        return
    try:
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).error("cannot write the log file %s: %s", path, exc)
        return
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s [{os.getpid()}] %(levelname)s %(name)s: %(message)s")
    )
    logging.getLogger().addHandler(handler)
