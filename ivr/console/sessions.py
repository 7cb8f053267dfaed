"""Console sessions and the sign-in throttle, both in the console's memory.

A session is a random 256-bit token in an ``HttpOnly``, ``SameSite=Lax`` cookie (and
``Secure`` behind TLS); the server keeps what it stands for. It carries its own CSRF token,
which every form sends back. A visitor gets an anonymous session on the sign-in page (its
form is protected too); signing in replaces it with a new token, so a token planted before
cannot be used after. A session ends after ``IDLE`` without a request, after ``LIFETIME``
in any case, at sign-out, and when the console restarts (everyone signs in again).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE = 30 * 60.0
LIFETIME = 12 * 3600.0
COOKIE = "ivr_console"
#: Sessions kept at most; beyond it the oldest sign-in pages' sessions go first (a flood of
#: visitors cannot fill the console's memory, nor push out a signed-in user).
MAX_SESSIONS = 10_000

#: Wrong passwords for one user name within ``FAILURE_WINDOW`` before it is locked.
MAX_FAILURES = 5
#: Wrong passwords from one address within ``FAILURE_WINDOW`` (any names) before it is.
MAX_ADDRESS_FAILURES = 20
FAILURE_WINDOW = 15 * 60.0
LOCKOUT = 15 * 60.0


@dataclass
class ConsoleSession:
    token: str
    csrf: str
    user: str | None  # the signed-in user's name; None: the sign-in page's visitor
    created: float
    seen: float
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)

    def flash(self, message: str, kind: str = "ok") -> None:
        """A message for the next page (after a form's redirect)."""
        self.flashes.append((kind, message))

    def take_flashes(self) -> list[tuple[str, str]]:
        taken, self.flashes = self.flashes, []
        return taken


class Sessions:
    """The live sessions by token; safe to use from the event loop's thread only."""

    def __init__(
        self,
        idle: float = IDLE,
        lifetime: float = LIFETIME,
        clock: Callable[[], float] = time.monotonic,
        limit: int = MAX_SESSIONS,
    ) -> None:
        self.idle, self.lifetime, self.clock, self.limit = idle, lifetime, clock, limit
        self._by_token: dict[str, ConsoleSession] = {}

    def new(self, user: str | None = None) -> ConsoleSession:
        self._expire()
        if len(self._by_token) >= self.limit:
            visitors = sorted(
                (s for s in self._by_token.values() if s.user is None), key=lambda s: s.seen
            )
            for old in visitors[: len(self._by_token) - self.limit + 1]:
                del self._by_token[old.token]
        now = self.clock()
        token = secrets.token_urlsafe(32)
        session = ConsoleSession(token, secrets.token_urlsafe(32), user, now, now)
        self._by_token[token] = session
        return session

    def get(self, token: str | None) -> ConsoleSession | None:
        """The session of a cookie's token, or None (unknown or expired)."""
        if not token:
            return None
        session = self._by_token.get(token)
        if session is None:
            return None
        now = self.clock()
        if now - session.seen > self.idle or now - session.created > self.lifetime:
            del self._by_token[token]
            return None
        session.seen = now
        return session

    def drop(self, token: str) -> None:
        self._by_token.pop(token, None)

    def drop_user(self, name: str) -> None:
        """Sign a user out everywhere (disabled, or a new password)."""
        for token in [t for t, s in self._by_token.items() if s.user == name]:
            del self._by_token[token]

    def _expire(self) -> None:
        now = self.clock()
        for token, session in list(self._by_token.items()):
            if now - session.seen > self.idle or now - session.created > self.lifetime:
                del self._by_token[token]

    def __len__(self) -> int:
        return len(self._by_token)


class LoginThrottle:
    """Counts wrong passwords per user name and per address; locks either for ``LOCKOUT``
    once it has too many within ``FAILURE_WINDOW``. A locked name is refused even with the
    right password, so guessing gains nothing; a success clears the name's count."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}

    @staticmethod
    def _keys(name: str, address: str) -> tuple[str, str]:
        return f"name:{name.strip().lower()}", f"addr:{address}"

    def locked_for(self, name: str, address: str) -> float:
        """Seconds until this name or address may try again; 0: it may now."""
        now = self.clock()
        with self._lock:
            until = max(self._locked_until.get(k, 0.0) for k in self._keys(name, address))
        return max(0.0, until - now)

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        name_key, address_key = self._keys(name, address)
        limits = {name_key: MAX_FAILURES, address_key: MAX_ADDRESS_FAILURES}
        with self._lock:
            for key, limit in limits.items():
                recent = [t for t in self._failures.get(key, []) if now - t < FAILURE_WINDOW]
                recent.append(now)
                self._failures[key] = recent
                if len(recent) >= limit:
                    self._locked_until[key] = now + LOCKOUT
                    self._failures[key] = []

    def succeeded(self, name: str) -> None:
        key = self._keys(name, "")[0]
        with self._lock:
            self._failures.pop(key, None)
