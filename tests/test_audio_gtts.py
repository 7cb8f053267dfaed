"""The gTTS adapter against a local fake of Google's endpoint, over real HTTP.

gTTS builds its URL with ``gtts.tts._translate_url``; pointing that at a local server makes
every request go through requests, sockets and gTTS's own parsing of the batchexecute answer.
"""

from __future__ import annotations

import base64
import json
import queue
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import gtts.tts
import pytest
from audio_support import SPEECH_MP3, SPEECH_MP3_SECONDS, requires_espeak

from ivr.audio import convert
from ivr.audio.build import PromptBuilder
from ivr.audio.catalogue import PromptSpec
from ivr.audio.errors import NetworkError, SynthesisError
from ivr.audio.gtts_engine import GttsEngine
from ivr.audio.synth import make_engine

MP3 = SPEECH_MP3.read_bytes()
PATH = "/_/TranslateWebserverUi/data/batchexecute"


def batchexecute_body(mp3: bytes) -> bytes:
    """Google's answer as gTTS parses it (compact JSON: gTTS matches it with a regex)."""
    inner = json.dumps([base64.b64encode(mp3).decode()])
    envelope = json.dumps(
        [["wrb.fr", "jQ1olc", inner, None, None, None, "generic"]], separators=(",", ":")
    )
    return (")]}'\n\n123\n" + envelope + "\n").encode()


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the test ends)


class FakeGoogle:
    """A local HTTP server answering gTTS requests from a script of answers."""

    def __init__(self) -> None:
        self.answers: queue.Queue[Answer] = queue.Queue()
        self.requests: list[tuple[str, str]] = []  # (text, lang) per request
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                rpc = json.loads(form["f.req"][0])
                text, lang = json.loads(rpc[0][0][1])[:2]
                fake.requests.append((text, lang))
                try:
                    answer = fake.answers.get_nowait()
                except queue.Empty:
                    answer = Answer(body=batchexecute_body(MP3))
                if answer.hang:
                    fake.release.wait(10)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def google(monkeypatch):
    fake = FakeGoogle()
    fake.thread.start()
    monkeypatch.setattr(gtts.tts, "_translate_url", lambda tld="com", path="": f"{fake.url}/{path}")
    yield fake
    fake.close()


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def engine(**options) -> tuple[GttsEngine, Sleeps]:
    sleeps = Sleeps()
    options.setdefault("min_interval_s", 0)
    return GttsEngine(sleep=sleeps, **options), sleeps


def test_success_returns_the_mp3_for_ukrainian(google):
    gtts_engine, sleeps = engine()
    data = gtts_engine.synthesize("Приблизний час відновлення о вісімнадцятій", "uk-com", 1.0)
    assert data == MP3
    assert google.requests == [("Приблизний час відновлення о вісімнадцятій", "uk")]
    assert sleeps == []


def test_429_is_retried_with_backoff_then_succeeds(google):
    google.answers.put(Answer(429, b"Too Many Requests"))
    google.answers.put(Answer(429, b"Too Many Requests", {"Retry-After": "7"}))
    gtts_engine, sleeps = engine(backoff_s=2.0)
    assert gtts_engine.synthesize("Дякуємо за дзвінок", "uk-com", 1.0) == MP3
    assert len(google.requests) == 3
    assert sleeps == [2.0, 7.0]  # exponential back-off (2, then 4) or Retry-After if longer


def test_429_that_persists_gives_up_after_the_retries(google):
    for _ in range(5):
        google.answers.put(Answer(429, b"Too Many Requests"))
    gtts_engine, sleeps = engine(retries=2, backoff_s=1.0)
    with pytest.raises(NetworkError, match="429 .* after 2 retries"):
        gtts_engine.synthesize("Дякуємо", "uk-com", 1.0)
    assert len(google.requests) == 3
    assert sleeps == [1.0, 2.0]


def test_timeout_is_a_network_error_not_a_hang(google):
    google.answers.put(Answer(hang=True))
    gtts_engine, _ = engine(timeout=(1.0, 0.5))
    with pytest.raises(NetworkError, match="did not answer within the timeout"):
        gtts_engine.synthesize("Дякуємо", "uk-com", 1.0)


def test_unreachable_network_says_so(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"http://127.0.0.1:{port}/{path}"
    )
    gtts_engine, _ = engine()
    with pytest.raises(NetworkError, match="network is unreachable.*--engine espeak"):
        gtts_engine.synthesize("Дякуємо", "uk-com", 1.0)


def test_server_error_is_a_synthesis_error(google):
    google.answers.put(Answer(500, b"oops"))
    gtts_engine, _ = engine()
    with pytest.raises(SynthesisError, match="HTTP 500"):
        gtts_engine.synthesize("Дякуємо", "uk-com", 1.0)


def test_long_text_is_split_and_the_parts_joined(google):
    sentence = "Графік планових відключень на найближчі дні опубліковано на сайті. "
    text = (sentence * 4).strip()
    assert len(text) > 200
    gtts_engine, _ = engine()
    data = gtts_engine.synthesize(text, "uk-com", 1.0)
    parts = len(google.requests)
    assert parts >= 3
    assert all(len(t) <= 100 for t, _ in google.requests)
    words = " ".join(t for t, _ in google.requests).replace(".", "").split()
    assert words == text.replace(".", "").split()  # gTTS drops punctuation where it splits
    assert data == MP3 * parts
    pcm = convert.decode(data)  # the joined parts decode as one stream
    assert pcm.duration_s == pytest.approx(parts * SPEECH_MP3_SECONDS, rel=0.05)


def test_slow_speech_hint_reaches_google(google):
    gtts_engine, _ = engine()
    gtts_engine.synthesize("Дякуємо", "uk-com", 0.6)
    assert google.requests == [("Дякуємо", "uk")]


def test_corrupt_mp3_from_the_network_fails_that_prompt_only(google, tmp_path):
    google.answers.put(Answer(body=batchexecute_body(b"\xff\xfb" + bytes(range(256)) * 8)))
    gtts_engine, _ = engine()
    specs = [PromptSpec("first", "Перший текст"), PromptSpec("second", "Другий текст")]
    report = PromptBuilder(tmp_path, "uk", gtts_engine).build(specs)
    assert [(r.id, r.status) for r in report.results] == [("first", "failed"), ("second", "built")]
    assert "cannot be decoded" in report.failed[0].message
    assert not (tmp_path / "uk" / "first.wav").exists()
    assert (tmp_path / "uk" / "second.wav").exists()


def test_gtts_build_writes_wav_and_is_cached(google, tmp_path):
    gtts_engine, _ = engine()
    specs = [PromptSpec("goodbye", "Дякуємо за дзвінок! До побачення.")]
    first = PromptBuilder(tmp_path, "uk", gtts_engine).build(specs)
    second = PromptBuilder(tmp_path, "uk", gtts_engine).build(specs)
    assert (first.built, second.skipped) == (["goodbye"], ["goodbye"])
    assert len(google.requests) == 1
    manifest = json.loads((tmp_path / "uk" / "manifest.json").read_text())
    entry = manifest["prompts"]["goodbye"]
    assert (entry["engine"], entry["voice"], entry["files"]) == (
        "gtts",
        "uk-com",
        {"wav": "goodbye.wav"},
    )


@requires_espeak
def test_network_down_falls_back_to_espeak_once(monkeypatch, tmp_path):
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"http://127.0.0.1:9/{path}"
    )
    gtts_engine, _ = engine()
    specs = [PromptSpec(f"p{i}", "Дякуємо за дзвінок") for i in range(3)]
    report = PromptBuilder(
        tmp_path, "uk", gtts_engine, fallback=lambda: make_engine("espeak")
    ).build(specs)
    assert report.built == ["p0", "p1", "p2"]
    assert {r.engine for r in report.results} == {"espeak-ng"}
    assert gtts_engine.requests_made == 1  # not retried for every prompt
    assert "building the rest with espeak-ng" in report.notices[0]


def test_network_down_without_fallback_fails_fast(monkeypatch, tmp_path):
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"http://127.0.0.1:9/{path}"
    )
    gtts_engine, _ = engine()
    specs = [PromptSpec(f"p{i}", "Дякуємо за дзвінок") for i in range(3)]
    report = PromptBuilder(tmp_path, "uk", gtts_engine).build(specs)
    assert [r.status for r in report.results] == ["failed"] * 3
    assert all("network is unreachable" in r.message for r in report.failed)
    assert gtts_engine.requests_made == 1
