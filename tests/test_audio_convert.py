"""MP3/WAV from the engines -> 8 kHz mono 16-bit WAV (and sln16), checked on the bytes."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from audio_support import SPEECH_MP3, SPEECH_MP3_SECONDS

from ivr.audio import convert
from ivr.audio.errors import DecodeError, SynthesisError


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Parse a RIFF/WAVE file by hand (not with the module that wrote it)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    chunks, offset = [], 12
    while offset < len(data):
        chunk_id = data[offset : offset + 4]
        size = struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        chunks.append((chunk_id, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size + (size & 1)
    return chunks


def check_asterisk_wav(data: bytes) -> float:
    """Asserts the layout Asterisk's format_wav plays; returns the duration in seconds."""
    chunks = riff_chunks(data)
    assert [c[0] for c in chunks] == [b"fmt ", b"data"]
    fmt = chunks[0][1]
    tag, channels, rate, byte_rate, align, bits = struct.unpack("<HHIIHH", fmt)
    assert (tag, channels, rate, bits) == (1, 1, 8000, 16)  # PCM, mono, 8 kHz, 16-bit
    assert byte_rate == 16000 and align == 2 and len(fmt) == 16
    return len(chunks[1][1]) / byte_rate


def test_gtts_like_mp3_becomes_an_asterisk_wav():
    pcm = convert.prepare_speech(SPEECH_MP3.read_bytes())
    assert pcm.rate == 24000
    seconds = check_asterisk_wav(convert.encode(pcm, "wav"))
    # trimming removes only the encoder padding and silence at the ends
    assert SPEECH_MP3_SECONDS - 0.5 < seconds <= SPEECH_MP3_SECONDS
    assert seconds == pytest.approx(pcm.duration_s, abs=0.002)


def test_sln16_is_raw_16_khz():
    pcm = convert.prepare_speech(SPEECH_MP3.read_bytes())
    raw = convert.encode(pcm, "sln16")
    assert raw[:4] != b"RIFF"
    assert len(raw) % 2 == 0
    assert len(raw) / 2 / 16000 == pytest.approx(pcm.duration_s, abs=0.002)


def test_level_is_normalised_without_clipping():
    pcm = convert.prepare_speech(SPEECH_MP3.read_bytes())
    x = pcm.samples.astype(np.float64) / 32768
    assert np.max(np.abs(x)) <= 10 ** (-1 / 20) + 1e-3  # peak at most -1 dBFS
    rms_db = 20 * np.log10(np.sqrt(np.mean(x**2)))
    assert -26 < rms_db <= -19


def tone(freq: float, rate: int = 24000, seconds: float = 1.0, dbfs: float = -9.0):
    t = np.arange(int(rate * seconds)) / rate
    return convert.Pcm(
        (np.sin(2 * np.pi * freq * t) * 32768 * 10 ** (dbfs / 20)).astype(np.int16), rate
    )


def level_db(pcm: convert.Pcm) -> float:
    x = pcm.samples[800:-800].astype(np.float64) / 32768  # skip filter edges
    return 20 * np.log10(np.sqrt(np.mean(x**2)) * np.sqrt(2) + 1e-12)


def test_resampler_filters_what_8_khz_cannot_carry():
    # a 5 kHz tone cannot exist at 8 kHz: a good resampler removes it instead of folding it
    assert level_db(convert.resample(tone(5000), 8000)) < -80
    assert level_db(convert.resample(tone(1000), 8000)) == pytest.approx(-9, abs=0.5)


def test_trim_keeps_padding_around_speech():
    silent = np.zeros(24000, dtype=np.int16)
    loud = tone(440).samples
    pcm = convert.trim(convert.Pcm(np.concatenate([silent, loud, silent]), 24000))
    assert pcm.duration_s == pytest.approx(1.0 + 2 * convert.PAD_MS / 1000, abs=0.011)


def test_silence_only_is_refused():
    wav = convert.wav_bytes(convert.silence(500, 22050))
    with pytest.raises(SynthesisError, match="no audible speech"):
        convert.prepare_speech(wav)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<html><body>429 Too Many Requests</body></html>" * 20,
        SPEECH_MP3.read_bytes()[:300] + bytes(range(256)) * 20,  # header, then garbage
        bytes(5000),
        b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(30),
    ],
    ids=["empty", "html", "garbage-after-header", "zeros", "broken-wav"],
)
def test_corrupt_audio_is_a_clear_error(data):
    with pytest.raises(DecodeError, match="cannot be decoded|no audio|decodes to nothing"):
        convert.decode(data)
