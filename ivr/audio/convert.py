"""Engine audio (MP3 or WAV) -> what Asterisk plays natively, without ffmpeg.

miniaudio decodes (MP3, WAV, FLAC, Ogg Vorbis from bytes), soxr resamples with a proper
anti-alias filter (miniaudio's own resampler aliases sibilants into the phone band), and the
standard ``wave`` module writes the file. Asterisk's ``format_wav`` plays only 8000 Hz mono
16-bit PCM with a plain ``fmt ``/``data`` layout; ``sln16`` is raw 16 kHz signed 16-bit.

Before resampling, leading and trailing silence is trimmed (keeping a little padding; encoders
add ~50 ms of padding) and the level is normalised toward -20 dBFS RMS without clipping.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import miniaudio
import numpy as np
import soxr

from ivr.audio.errors import DecodeError, SynthesisError

#: format name -> (file extension, sample rate, has a WAV header)
FORMATS: dict[str, tuple[str, int, bool]] = {
    "wav": ("wav", 8000, True),
    "sln16": ("sln16", 16000, False),
}
FRAME_MS = 10
SILENCE_DBFS = -40.0
PAD_MS = 30
TARGET_RMS_DBFS = -20.0
PEAK_DBFS = -1.0
MIN_SPEECH_MS = 50
FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Pcm:
    samples: np.ndarray  # int16, mono
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate


def _native_rate(data: bytes) -> int:
    head = data[:4]
    if head == b"RIFF":
        return miniaudio.wav_get_info(data).sample_rate
    if head == b"fLaC":
        return miniaudio.flac_get_info(data).sample_rate
    if head == b"OggS":
        return miniaudio.vorbis_get_info(data).sample_rate
    return miniaudio.mp3_get_info(data).sample_rate


def decode(data: bytes) -> Pcm:
    """Encoded audio -> mono int16 at its own sample rate."""
    if not data:
        raise DecodeError("no audio data")
    try:
        rate = _native_rate(data)
        if not 4000 <= rate <= 192000:
            raise DecodeError(f"implausible sample rate {rate} Hz")
        decoded = miniaudio.decode(
            data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=rate
        )
    except (miniaudio.MiniaudioError, ZeroDivisionError, ValueError) as exc:
        raise DecodeError(f"the audio cannot be decoded (corrupt or not audio): {exc}") from None
    samples = np.frombuffer(decoded.samples.tobytes(), dtype=np.int16)
    if samples.size == 0:
        raise DecodeError("the audio decodes to nothing (corrupt or empty)")
    return Pcm(samples, rate)


def silence(ms: int, rate: int = 8000) -> Pcm:
    return Pcm(np.zeros(rate * ms // 1000, dtype=np.int16), rate)


def trim(pcm: Pcm) -> Pcm:
    """Drop leading and trailing frames quieter than -40 dBFS, keeping 30 ms of padding."""
    frame = max(1, pcm.rate * FRAME_MS // 1000)
    count = len(pcm.samples) // frame
    if count == 0:
        return pcm
    frames = pcm.samples[: count * frame].astype(np.float64).reshape(count, frame)
    rms = np.sqrt(np.mean(frames**2, axis=1)) / FULL_SCALE
    loud = np.nonzero(rms > 10 ** (SILENCE_DBFS / 20))[0]
    if loud.size == 0:
        return Pcm(pcm.samples[:0], pcm.rate)
    pad = pcm.rate * PAD_MS // 1000
    start = max(0, loud[0] * frame - pad)
    end = min(len(pcm.samples), (loud[-1] + 1) * frame + pad)
    return Pcm(pcm.samples[start:end], pcm.rate)


def normalise(pcm: Pcm) -> Pcm:
    """Gain toward -20 dBFS RMS, capped so that the peak stays at or below -1 dBFS."""
    x = pcm.samples.astype(np.float64)
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if rms == 0.0:
        return pcm
    gain = min(
        FULL_SCALE * 10 ** (TARGET_RMS_DBFS / 20) / rms, FULL_SCALE * 10 ** (PEAK_DBFS / 20) / peak
    )
    y = np.clip(np.round(x * gain), -32768, 32767).astype(np.int16)
    return Pcm(y, pcm.rate)


def resample(pcm: Pcm, rate: int) -> Pcm:
    if pcm.rate == rate:
        return pcm
    return Pcm(soxr.resample(pcm.samples, pcm.rate, rate, quality="HQ").astype(np.int16), rate)


def wav_bytes(pcm: Pcm) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(pcm.rate)
        out.writeframes(pcm.samples.astype("<i2").tobytes())
    return buffer.getvalue()


def encode(pcm: Pcm, fmt: str) -> bytes:
    _ext, rate, header = FORMATS[fmt]
    pcm = resample(pcm, rate)
    return wav_bytes(pcm) if header else pcm.samples.astype("<i2").tobytes()


def prepare_speech(data: bytes) -> Pcm:
    """Decode, trim and normalise an engine's output; refuse audio with no speech in it."""
    pcm = trim(decode(data))
    if pcm.duration_s * 1000 < MIN_SPEECH_MS:
        raise SynthesisError("the engine produced no audible speech for this text")
    return normalise(pcm)
