"""The load generator's own logic (``ivr.loadgen``): prompt durations from WAV headers,
Poisson arrivals, the journey mix, transcripts; against a small scripted FastAGI server on
a real loopback socket."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import wave
from pathlib import Path

import pytest

from ivr.loadgen import (
    HANGUP,
    Journey,
    PromptDurations,
    Scenario,
    arrival_gaps,
    drive,
    journey_keys,
    pick_journey,
    wav_seconds,
)


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))


def test_wav_seconds_from_the_header(tmp_path):
    write_wav(tmp_path / "a.wav", 0.5)
    write_wav(tmp_path / "b.wav", 1.25, rate=16000)
    (tmp_path / "bad.wav").write_bytes(b"not a wav")
    assert wav_seconds(str(tmp_path / "a.wav")) == 0.5
    assert wav_seconds(str(tmp_path / "b.wav")) == 1.25
    assert wav_seconds(str(tmp_path / "bad.wav")) is None
    assert wav_seconds(str(tmp_path / "missing.wav")) is None


def test_prompt_durations_absolute_relative_and_unknown(tmp_path):
    (tmp_path / "uk").mkdir()
    write_wav(tmp_path / "uk" / "welcome.wav", 0.75)
    durations = PromptDurations(str(tmp_path))
    assert durations(str(tmp_path / "uk" / "welcome")) == 0.75  # absolute, as ours sends
    assert durations("uk/welcome") == 0.75  # relative to the audio directory
    assert durations("uk/nothing") is None


def test_poisson_gaps_have_the_rate_mean():
    gaps = arrival_gaps(100.0, random.Random(1))
    sample = [next(gaps) for _ in range(20000)]
    assert statistics.mean(sample) == pytest.approx(0.01, rel=0.05)
    # exponential: the standard deviation equals the mean
    assert statistics.pstdev(sample) == pytest.approx(0.01, rel=0.1)


def test_journey_mix_follows_the_weights_and_random_hangups_end_with_h():
    rng = random.Random(7)
    mix = (Journey("a", 3, ("1",)), Journey("b", 1, ("2",), hangup_anywhere=True))
    picks = [pick_journey(mix, rng).name for _ in range(4000)]
    assert 0.70 < picks.count("a") / len(picks) < 0.80
    seen = set()
    for _ in range(200):
        keys = journey_keys(mix[1], rng)
        assert keys[-1] == HANGUP and len(keys) <= 2
        seen.add(keys)
    assert seen == {("h",), ("2", "h")}
    assert journey_keys(mix[0], rng) == ("1",)


class ScriptedServer:
    """A FastAGI server sending ANSWER, STREAM FILE "<prompt>" "12", WAIT FOR DIGIT, then
    closing; it notes how long each reply took."""

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt
        self.replies: list[tuple[str, float, str]] = []  # (command, seconds, reply)
        self.active = 0
        self.peak = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            while (await reader.readline()).strip():
                pass
            for command in (
                "ANSWER",
                f'STREAM FILE "{self.prompt}" "12"',
                'WAIT FOR DIGIT "1000"',
            ):
                sent = time.perf_counter()
                writer.write(command.encode() + b"\n")
                reply = (await reader.readline()).decode().strip()
                self.replies.append((command.split()[0], time.perf_counter() - sent, reply))
                if reply.startswith("200 result=-1"):
                    await reader.readline()  # the HANGUP line
                    break
        finally:
            self.active -= 1
            writer.close()


async def serve_and_drive(server: ScriptedServer, scenario: Scenario):
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        return await drive("127.0.0.1", port, scenario)


def test_a_prompt_plays_for_its_wav_length_or_until_a_key(tmp_path):
    write_wav(tmp_path / "greeting.wav", 0.4)
    prompt = str(tmp_path / "greeting")
    played = ScriptedServer(prompt)
    scenario = Scenario(
        "wav", calls=1, concurrency=1, keys=(), audio_dir=str(tmp_path), input_delay=0.05
    )
    stats = asyncio.run(serve_and_drive(played, scenario))
    assert stats.calls_completed == 1
    stream = next(r for r in played.replies if r[0] == "STREAM")
    assert 0.38 <= stream[1] < 0.6 and stream[2] == "200 result=0 endpos=8000"

    pressed = ScriptedServer(prompt)
    scenario = Scenario(
        "key", calls=1, concurrency=1, keys=("1",), audio_dir=str(tmp_path), key_after=0.1
    )
    asyncio.run(serve_and_drive(pressed, scenario))
    stream = next(r for r in pressed.replies if r[0] == "STREAM")
    assert 0.09 <= stream[1] < 0.3 and stream[2].startswith("200 result=49")


def test_poisson_arrivals_overlap_and_every_call_is_counted_with_its_journey(tmp_path):
    write_wav(tmp_path / "p.wav", 0.2)
    server = ScriptedServer(str(tmp_path / "p"))
    mix = (
        Journey("listen", 1, ("-", "-")),
        Journey("leave", 1, ("-",), hangup_anywhere=True),
    )
    scenario = Scenario(
        "poisson",
        calls=60,
        concurrency=1,  # not a limit with arrivals
        keys=(),
        arrival_rate=200.0,
        journeys=mix,
        audio_dir=str(tmp_path),
        input_delay=0.05,
        record=2,
    )
    stats = asyncio.run(serve_and_drive(server, scenario))
    assert stats.calls_started == stats.calls_completed == 60
    assert sum(stats.journeys.values()) == 60 and set(stats.journeys) == {"listen", "leave"}
    assert server.peak > 5 and stats.peak_active > 5  # calls overlapped
    assert stats.wall < 2.0  # 60 calls at 200/s take about 0.3 s plus one call
    assert len(stats.transcripts) == 2 and stats.transcripts[0][0] == "ANSWER"
    hangups = [r for r in server.replies if r[2].startswith("200 result=-1")]
    assert hangups and len(hangups) < 60
