"""gTTS, the default engine: Google Translate's Ukrainian voice, used only at build time.

The endpoint is unofficial and rate-limited. The adapter always passes a network timeout
(gTTS waits forever by default), retries HTTP 429 a few times with exponential back-off
(honouring ``Retry-After``), spaces its requests out, and turns the network's failures into
:class:`~ivr.audio.errors.NetworkError` so the build can fall back to the offline engine. gTTS
splits texts longer than 100 characters into several requests and joins the MP3 parts.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import requests  # gTTS's own HTTP client: its exceptions tell a timeout from no route

from ivr.audio.errors import EngineMissing, NetworkError, SynthesisError

LANG = "uk"
DEFAULT_TLD = "com"
TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
RETRIES = 3  # extra attempts after an HTTP 429
BACKOFF_S = 2.0  # first wait after a 429; doubles each time
MAX_WAIT_S = 60.0
MIN_INTERVAL_S = 0.5  # between two texts, to stay under the rate limit


class GttsEngine:
    name = "gtts"

    def __init__(
        self,
        timeout: float | tuple[float, float] = TIMEOUT,
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        min_interval_s: float = MIN_INTERVAL_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            import gtts  # noqa: F401
        except ImportError:
            raise EngineMissing("gTTS is not installed: pip install gTTS") from None
        self.timeout = timeout
        self.retries = retries
        self.backoff_s = backoff_s
        self.min_interval_s = min_interval_s
        self.sleep = sleep
        self.clock = clock
        self._last: float | None = None
        self.requests_made = 0  # texts sent, retries included (for the build's summary)

    @staticmethod
    def voice(hint: str | None) -> str:
        """gTTS has one Ukrainian voice; the hint picks the Google domain (tld), if any."""
        return f"{LANG}-{hint or DEFAULT_TLD}"

    def synthesize(self, text: str, voice: str, speed: float) -> bytes:
        from gtts import gTTS, gTTSError

        tld = voice.split("-", 1)[1] if "-" in voice else DEFAULT_TLD
        tts = gTTS(text, lang=LANG, tld=tld, slow=speed < 0.8, timeout=self.timeout)
        for attempt in range(self.retries + 1):
            self._space_out()
            buffer = io.BytesIO()
            try:
                self.requests_made += 1
                tts.write_to_fp(buffer)
            except gTTSError as exc:
                status = getattr(exc.rsp, "status_code", None)
                if status is None:
                    raise NetworkError(_network_message(exc, self.timeout)) from exc
                if status == 429 and attempt < self.retries:
                    self.sleep(self._wait(exc.rsp, attempt))
                    continue
                if status == 429:
                    raise NetworkError(
                        f"Google TTS kept answering 429 (Too Many Requests) "
                        f"after {self.retries} retries; try again later"
                    ) from exc
                raise SynthesisError(f"Google TTS answered HTTP {status}: {exc}") from exc
            data = buffer.getvalue()
            if not data:
                raise SynthesisError("Google TTS returned no audio")
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    def _space_out(self) -> None:
        now = self.clock()
        if self._last is not None:
            wait = self.min_interval_s - (now - self._last)
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def _wait(self, response: requests.Response, attempt: int) -> float:
        wait = self.backoff_s * 2**attempt
        retry_after = str(response.headers.get("Retry-After") or "") if response.headers else ""
        if retry_after.strip().isdigit():
            wait = max(wait, float(retry_after))
        return min(wait, MAX_WAIT_S)


def _network_message(exc: Exception, timeout: float | tuple[float, float]) -> str:
    cause = exc.__context__ or exc.__cause__
    if isinstance(cause, requests.exceptions.Timeout):
        return f"Google TTS did not answer within the timeout {timeout} s (network slow or blocked)"
    if isinstance(cause, requests.exceptions.ConnectionError):
        return (
            "cannot reach Google TTS (translate.google.com): the network is unreachable "
            "from this machine (no route, DNS or proxy); use --engine espeak to build offline"
        )
    return f"Google TTS request failed: {exc}"
